package blob

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"

	"github.com/troveml/trove/internal/core"
)

// Encryption at rest of a file:// store (Options.EncryptionKey).
//
// An encrypted blob file, format version 1, is a header and chunks:
//
//	header, 48 bytes:
//	  "TRVE"    magic
//	  0x01      version
//	  3 × 0x00  reserved
//	  key id    8 bytes: HKDF-SHA256(key, no salt, "trove blob key id v1")
//	  salt      32 random bytes, new for every file
//	chunks: the content in pieces of 64 KiB, each sealed with AES-256-GCM
//	  (a 16-byte tag follows it) under the file's own key
//	  HKDF-SHA256(key, salt, "trove blob v1"), with the nonce
//	  big-endian chunk index (8 bytes) || 0x000000 || 0x01 on the last
//	  chunk, else 0x00, and the header as additional data.
//
// Every chunk but the last holds 64 KiB; the last holds 1 to 64 KiB, or
// nothing when the content is empty (it is then the only chunk). So the
// content's size follows from the file's (plainSize): Stat and List need not
// open the file.
//
// Why this shape (the STREAM construction, as in Tink's streaming AEAD): a
// file is written and read in one pass with 64 KiB of buffer, never whole.
// A key per file, derived from its random salt, means nonces need only be
// unique within the file, which a counter guarantees; random 96-bit nonces
// under one key for all blobs would make a collision, which breaks GCM,
// likely after some billions of chunks. The index in the nonce detects
// reordered, dropped or repeated chunks, the last-chunk flag a file cut at a
// chunk boundary, the header as additional data a changed header, and the
// key id a wrong key — reported as such, not as a mere authentication
// failure. Any of these is core.ErrCorrupt.
//
// Blobs stay named, and verified, by the digest of their plaintext: someone
// who can list the directory learns whether a content they already have is
// stored, not what any content is.

// KeySize is the size of an encryption key in bytes: AES-256.
const KeySize = 32

const (
	encMagic      = "TRVE"
	encVersion    = 1
	encHeaderSize = 48
	encSaltSize   = 32
	encKeyIDSize  = 8
	encChunk      = 64 << 10
	encTagSize    = 16
	encSealed     = encChunk + encTagSize // a sealed full chunk
)

// LoadKey reads the encryption key of a file:// store from a file holding
// exactly KeySize bytes, or 2×KeySize hex digits and an optional newline.
// Make one with
//
//	(umask 077; openssl rand -hex 32 > trove.key)
//
// A file that its group or others may access at all is refused, as is a key
// of zeros. Errors are core.ErrInvalid.
//
// Trove does not encrypt S3 stores itself: there, use S3's server-side
// encryption. SSE-S3 and SSE-KMS are bucket settings (default encryption),
// which need nothing from Trove and also cover objects uploaded through
// presigned URLs; the s3:// URL can also demand them for the writes Trove
// makes with ?ssetype=AES256, or ?ssetype=aws:kms&kmskeyid=KEY-ARN (the
// x-amz-server-side-encryption headers, as gocloud's s3blob sets them).
func LoadKey(path string) ([]byte, error) {
	bad := func(format string, args ...any) ([]byte, error) {
		return nil, core.Errorf(core.ErrInvalid, "encryption key file %s: "+format, append([]any{path}, args...)...)
	}
	f, err := os.Open(path)
	if err != nil {
		return bad("%w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	switch {
	case err != nil:
		return bad("%w", err)
	case !fi.Mode().IsRegular():
		return bad("not a regular file")
	case runtime.GOOS != "windows" && fi.Mode().Perm()&0o077 != 0:
		return bad("group or others may access it (mode %04o); only its owner may: chmod 600 %s", fi.Mode().Perm(), path)
	}
	b, err := io.ReadAll(io.LimitReader(f, 4*KeySize))
	if err != nil {
		return bad("%w", err)
	}
	var key []byte
	switch hexKey := bytes.TrimSuffix(bytes.TrimSuffix(b, []byte("\n")), []byte("\r")); {
	case len(b) == KeySize:
		key = b
	case len(hexKey) == 2*KeySize:
		key = make([]byte, KeySize)
		if _, err := hex.Decode(key, hexKey); err != nil {
			return bad("64 characters that are not hex digits: %v", err)
		}
	default:
		return bad("want exactly %d bytes, or %d hex digits and an optional newline; it has %d bytes", KeySize, 2*KeySize, len(b))
	}
	if bytes.Equal(key, make([]byte, KeySize)) {
		return bad("the key is all zeros")
	}
	return key, nil
}

// cipherKey is a store's key, with its id.
type cipherKey struct {
	master []byte
	id     [encKeyIDSize]byte
}

func newCipherKey(key []byte) (*cipherKey, error) {
	if len(key) != KeySize {
		return nil, core.Errorf(core.ErrInvalid, "blob: encryption key has %d bytes; want %d", len(key), KeySize)
	}
	k := &cipherKey{master: bytes.Clone(key)}
	id, err := hkdf.Key(sha256.New, k.master, nil, "trove blob key id v1", encKeyIDSize)
	if err != nil {
		return nil, core.Errorf(core.ErrInvalid, "blob: encryption key: %w", err)
	}
	copy(k.id[:], id)
	return k, nil
}

// aead returns the cipher of the file with the given salt.
func (k *cipherKey) aead(salt []byte) (cipher.AEAD, error) {
	fk, err := hkdf.Key(sha256.New, k.master, salt, "trove blob v1", KeySize)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(fk)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// encHeader is the header of an encrypted blob file.
type encHeader struct {
	keyID [encKeyIDSize]byte
	salt  [encSaltSize]byte
}

func (h *encHeader) marshal() []byte {
	b := make([]byte, 0, encHeaderSize)
	b = append(b, encMagic...)
	b = append(b, encVersion, 0, 0, 0)
	b = append(b, h.keyID[:]...)
	return append(b, h.salt[:]...)
}

// errNoHeader is the error about a file that does not start like an
// encrypted blob.
var errNoHeader = errors.New("no header of an encrypted blob: was it stored without encryption?")

// parseEncHeader parses the header of an encrypted blob file.
func parseEncHeader(b []byte) (encHeader, error) {
	var h encHeader
	switch {
	case len(b) != encHeaderSize:
		return h, fmt.Errorf("header of %d bytes; want %d", len(b), encHeaderSize)
	case string(b[:4]) != encMagic:
		return h, errNoHeader
	case b[4] != encVersion:
		return h, fmt.Errorf("unknown format version %d", b[4])
	case b[5]|b[6]|b[7] != 0:
		return h, errors.New("reserved header bytes are not zero")
	}
	copy(h.keyID[:], b[8:])
	copy(h.salt[:], b[8+encKeyIDSize:])
	return h, nil
}

// chunkNonce returns the nonce of chunk i.
func chunkNonce(nonce []byte, i uint64, last bool) []byte {
	binary.BigEndian.PutUint64(nonce, i)
	nonce[8], nonce[9], nonce[10], nonce[11] = 0, 0, 0, 0
	if last {
		nonce[11] = 1
	}
	return nonce
}

// plainSize returns the size of the content of an encrypted blob file of n
// bytes, and false for a size that encryption never yields.
func plainSize(n int64) (int64, bool) {
	body := n - encHeaderSize
	if body < encTagSize {
		return 0, false
	}
	full, rem := body/encSealed, body%encSealed
	switch {
	case rem == 0:
		return full * encChunk, true
	case rem < encTagSize, rem == encTagSize && full > 0:
		return 0, false
	}
	return full*encChunk + rem - encTagSize, true
}

// encWriter encrypts what is written to it onto w. Close seals the last
// chunk; it does not close w.
type encWriter struct {
	w     io.Writer
	aead  cipher.AEAD
	ad    []byte // the header
	chunk []byte // the chunk being filled, capacity encChunk
	out   []byte // sealed bytes not yet written, starting with the header
	index uint64
	nonce [12]byte
	err   error // sticky
}

func newEncWriter(w io.Writer, k *cipherKey) (*encWriter, error) {
	h := encHeader{keyID: k.id}
	rand.Read(h.salt[:])
	aead, err := k.aead(h.salt[:])
	if err != nil {
		return nil, core.Errorf(core.ErrInvalid, "blob: encryption: %w", err)
	}
	hdr := h.marshal()
	return &encWriter{
		w:     w,
		aead:  aead,
		ad:    hdr,
		chunk: make([]byte, 0, encChunk),
		out:   append(make([]byte, 0, encHeaderSize+encSealed), hdr...),
	}, nil
}

// Write implements io.Writer. A full chunk is sealed only when more content
// follows it, so that Close can mark the true last chunk. Everything sealed
// by one call goes to w in one write.
func (e *encWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n := len(p)
	for len(p) > 0 {
		if len(e.chunk) == encChunk {
			e.seal(false)
		}
		m := copy(e.chunk[len(e.chunk):encChunk], p)
		e.chunk = e.chunk[:len(e.chunk)+m]
		p = p[m:]
	}
	if err := e.flush(); err != nil {
		return 0, err
	}
	return n, nil
}

// Close seals the last chunk and writes it.
func (e *encWriter) Close() error {
	if e.err != nil {
		return e.err
	}
	e.seal(true)
	return e.flush()
}

func (e *encWriter) seal(last bool) {
	e.out = e.aead.Seal(e.out, chunkNonce(e.nonce[:], e.index, last), e.chunk, e.ad)
	e.chunk = e.chunk[:0]
	e.index++
}

func (e *encWriter) flush() error {
	if len(e.out) == 0 {
		return nil
	}
	if _, err := e.w.Write(e.out); err != nil {
		e.err = err
		return err
	}
	e.out = e.out[:0]
	return nil
}

// decReader decrypts an encrypted blob file as it is read. Failures of
// authentication, and files of impossible shape, are core.ErrCorrupt; they
// are reported on Read, never Get, like any other corruption.
type decReader struct {
	r     io.ReadCloser
	key   *cipherKey
	aead  cipher.AEAD // nil until the header is read
	ad    []byte
	raw   []byte // read-ahead: a sealed chunk and one byte, to know whether it is the last
	have  int    // bytes in raw
	buf   []byte // decrypted chunk
	plain []byte // what of buf is not yet returned
	index uint64
	nonce [12]byte
	done  bool  // the last chunk was decrypted
	err   error // sticky
}

func newDecReader(r io.ReadCloser, k *cipherKey) *decReader {
	return &decReader{r: r, key: k}
}

// Read implements io.Reader.
func (d *decReader) Read(p []byte) (int, error) {
	for len(d.plain) == 0 {
		switch {
		case d.err != nil:
			return 0, d.err
		case d.done:
			return 0, io.EOF
		}
		d.err = d.next()
	}
	n := copy(p, d.plain)
	d.plain = d.plain[n:]
	return n, nil
}

// Close closes the underlying reader.
func (d *decReader) Close() error { return d.r.Close() }

func corruptf(format string, args ...any) error {
	return core.Errorf(core.ErrCorrupt, "encrypted blob: "+format, args...)
}

// next decrypts the next chunk into d.plain.
func (d *decReader) next() error {
	if d.aead == nil {
		if err := d.start(); err != nil {
			return err
		}
	}
	m, err := io.ReadFull(d.r, d.raw[d.have:])
	d.have += m
	last := false
	switch err {
	case nil:
	case io.EOF, io.ErrUnexpectedEOF:
		last = true
	default:
		return core.Errorf(core.ErrUnavailable, "encrypted blob: read: %w", err)
	}
	sealed := d.raw[:d.have]
	if !last {
		sealed = d.raw[:encSealed]
	}
	if len(sealed) < encTagSize {
		return corruptf("truncated chunk %d (%d bytes)", d.index, len(sealed))
	}
	plain, err := d.aead.Open(d.buf[:0], chunkNonce(d.nonce[:], d.index, last), sealed, d.ad)
	if err != nil {
		return corruptf("chunk %d fails authentication: tampered with, truncated or reordered", d.index)
	}
	if last && len(plain) == 0 && d.index > 0 {
		return corruptf("empty last chunk %d", d.index) // never written
	}
	d.have = copy(d.raw, d.raw[len(sealed):d.have])
	d.index++
	d.done = last
	d.plain = plain
	return nil
}

// start reads and checks the header.
func (d *decReader) start() error {
	hdr := make([]byte, encHeaderSize)
	switch n, err := io.ReadFull(d.r, hdr); err {
	case nil:
	case io.EOF, io.ErrUnexpectedEOF:
		if m := min(n, len(encMagic)); string(hdr[:m]) != encMagic[:m] {
			return corruptf("%v", errNoHeader)
		}
		return corruptf("shorter than its %d-byte header", encHeaderSize)
	default:
		return core.Errorf(core.ErrUnavailable, "encrypted blob: read: %w", err)
	}
	h, err := parseEncHeader(hdr)
	if err != nil {
		return corruptf("%v", err)
	}
	if h.keyID != d.key.id {
		return corruptf("encrypted with another key (key id %x; this store's key has id %x)", h.keyID, d.key.id)
	}
	if d.aead, err = d.key.aead(h.salt[:]); err != nil {
		return core.Errorf(core.ErrInvalid, "encrypted blob: %w", err)
	}
	d.ad = hdr
	d.raw = make([]byte, encSealed+1)
	d.buf = make([]byte, 0, encChunk)
	return nil
}
