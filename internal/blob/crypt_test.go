package blob

import (
	"bytes"
	"errors"
	"io"
	"slices"
	"testing"

	"github.com/troveml/trove/internal/core"
)

// testKey is a fixed key for format tests.
var testKey = func() *cipherKey {
	k, err := newCipherKey(bytes.Repeat([]byte{0x5a}, KeySize))
	if err != nil {
		panic(err)
	}
	return k
}()

// encrypt returns content encrypted under k, written in pieces of step bytes.
func encrypt(t testing.TB, k *cipherKey, content []byte, step int) []byte {
	t.Helper()
	var out bytes.Buffer
	e, err := newEncWriter(&out, k)
	if err != nil {
		t.Fatal(err)
	}
	for p := content; len(p) > 0; {
		n := min(step, len(p))
		if _, err := e.Write(p[:n]); err != nil {
			t.Fatal(err)
		}
		p = p[n:]
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// decrypt decrypts a whole file under k.
func decrypt(k *cipherKey, file []byte) ([]byte, error) {
	return io.ReadAll(newDecReader(io.NopCloser(bytes.NewReader(file)), k))
}

func TestEncryptRoundTrip(t *testing.T) {
	for _, size := range []int{0, 1, encChunk - 1, encChunk, encChunk + 1, 2 * encChunk, 3*encChunk + 17, 1<<20 + 5} {
		content := make([]byte, size)
		for i := range content {
			content[i] = byte(i * 7)
		}
		for _, step := range []int{1 << 20, encChunk, 1000} {
			if step == 1000 && size > 4*encChunk {
				continue
			}
			file := encrypt(t, testKey, content, step)
			if n, ok := plainSize(int64(len(file))); !ok || n != int64(size) {
				t.Errorf("size %d: plainSize(%d) = %d, %v", size, len(file), n, ok)
			}
			got, err := decrypt(testKey, file)
			if err != nil || !bytes.Equal(got, content) {
				t.Errorf("size %d, writes of %d: decrypt = %d bytes, %v", size, step, len(got), err)
			}
		}
	}
}

// TestEncryptTamper checks that every kind of damage to an encrypted file is
// core.ErrCorrupt.
func TestEncryptTamper(t *testing.T) {
	content := bytes.Repeat([]byte("trove "), 3*encChunk/6+100) // 3 full chunks and a bit
	file := encrypt(t, testKey, content, 1<<20)
	chunk := func(i int) []byte { // sealed chunk i
		s := encHeaderSize + i*encSealed
		return file[s:min(s+encSealed, len(file))]
	}
	mutate := func(f func(b []byte) []byte) []byte { return f(bytes.Clone(file)) }
	other, _ := newCipherKey(bytes.Repeat([]byte{0xa5}, KeySize))
	for _, tc := range []struct {
		name string
		file []byte
		key  *cipherKey
	}{
		{"flip a content byte", mutate(func(b []byte) []byte { b[encHeaderSize+100] ^= 1; return b }), testKey},
		{"flip a tag byte", mutate(func(b []byte) []byte { b[len(b)-1] ^= 1; return b }), testKey},
		{"flip a salt byte", mutate(func(b []byte) []byte { b[20] ^= 1; return b }), testKey},
		{"flip a key id byte", mutate(func(b []byte) []byte { b[9] ^= 1; return b }), testKey},
		{"flip the magic", mutate(func(b []byte) []byte { b[0] = 'X'; return b }), testKey},
		{"other version", mutate(func(b []byte) []byte { b[4] = 2; return b }), testKey},
		{"reserved byte", mutate(func(b []byte) []byte { b[6] = 1; return b }), testKey},
		{"wrong key", file, other},
		{"empty file", nil, testKey},
		{"header only", file[:encHeaderSize], testKey},
		{"cut in the header", file[:encHeaderSize-1], testKey},
		{"drop the last chunk", file[:encHeaderSize+3*encSealed], testKey},
		{"cut the last chunk", file[:len(file)-1], testKey},
		{"cut inside a chunk", file[:encHeaderSize+encSealed+100], testKey},
		{"swap two chunks", slices.Concat(file[:encHeaderSize], chunk(1), chunk(0), chunk(2), chunk(3)), testKey},
		{"repeat a chunk", slices.Concat(file[:encHeaderSize], chunk(0), chunk(0), chunk(1), chunk(2), chunk(3)), testKey},
		{"append a byte", append(bytes.Clone(file), 0), testKey},
		{"not encrypted", content, testKey},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := decrypt(tc.key, tc.file)
			if !errors.Is(err, core.ErrCorrupt) {
				t.Fatalf("decrypt = %d bytes, %v; want core.ErrCorrupt", len(got), err)
			}
			t.Log(err)
		})
	}
}

func TestPlainSize(t *testing.T) {
	for _, tc := range []struct {
		file int64
		want int64
		ok   bool
	}{
		{0, 0, false},
		{encHeaderSize, 0, false},
		{encHeaderSize + encTagSize - 1, 0, false},
		{encHeaderSize + encTagSize, 0, true},
		{encHeaderSize + encTagSize + 1, 1, true},
		{encHeaderSize + encSealed, encChunk, true},
		{encHeaderSize + encSealed + 5, 0, false},
		{encHeaderSize + encSealed + encTagSize, 0, false}, // an empty chunk after a full one
		{encHeaderSize + encSealed + encTagSize + 1, encChunk + 1, true},
		{encHeaderSize + 2*encSealed, 2 * encChunk, true},
	} {
		if got, ok := plainSize(tc.file); got != tc.want || ok != tc.ok {
			t.Errorf("plainSize(%d) = %d, %v; want %d, %v", tc.file, got, ok, tc.want, tc.ok)
		}
	}
}

// FuzzEncryptedHeader feeds arbitrary files to the header parser and the
// decrypter: they must not panic, a header that parses must marshal back to
// the same bytes, anything that does not decrypt must be core.ErrCorrupt,
// and what does decrypt must have the size plainSize derives.
func FuzzEncryptedHeader(f *testing.F) {
	f.Add(encrypt(f, testKey, nil, 1))
	f.Add(encrypt(f, testKey, []byte("fuzz"), 1))
	f.Add(encrypt(f, testKey, bytes.Repeat([]byte{1}, encChunk+3), encChunk))
	f.Add([]byte(encMagic + "\x01\x00\x00\x00"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, file []byte) {
		if h, err := parseEncHeader(file[:min(len(file), encHeaderSize)]); err == nil {
			if got := h.marshal(); !bytes.Equal(got, file[:encHeaderSize]) {
				t.Fatalf("header %x parses but marshals to %x", file[:encHeaderSize], got)
			}
		}
		plain, err := decrypt(testKey, file)
		if err != nil {
			if !errors.Is(err, core.ErrCorrupt) {
				t.Fatalf("decrypt: %v; want core.ErrCorrupt", err)
			}
			return
		}
		if n, ok := plainSize(int64(len(file))); !ok || n != int64(len(plain)) {
			t.Fatalf("decrypted %d bytes from a %d-byte file; plainSize says %d, %v", len(plain), len(file), n, ok)
		}
	})
}
