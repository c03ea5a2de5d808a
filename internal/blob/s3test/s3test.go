// Package s3test runs a real S3 server, versitygw over a temporary directory,
// for tests of the S3 paths: the blob store, the server's presigned URLs,
// scale-out tests with several processes on one bucket.
//
// A gateway belongs to the test that started it and is killed when that test
// ends. Its credentials travel two ways, so that other processes can use it
// too: inside the s3:// URLs it hands out (s3://KEY:SECRET@bucket?endpoint=…,
// which blob.Open understands: importing this package registers the s3://
// scheme of github.com/troveml/trove/scheme/s3 for blob stores and
// references alike), and as the standard AWS environment variables
// that Env returns (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION,
// AWS_ENDPOINT_URL_S3) for a child process that opens a URL without them.
//
// Without versitygw the tests that ask for one are skipped — or fail when
// TROVE_REQUIRE_ALL=1, as in CI. Install it with
//
//	go install github.com/versity/versitygw/cmd/versitygw@latest
//
// Outside tests (bench scripts) nothing of this package is needed; run the
// gateway directly and create a bucket as a directory of its root:
//
//	mkdir -p /tmp/vgw/bench
//	versitygw --access KEY --secret SECRET --port 127.0.0.1:7070 --quiet posix /tmp/vgw &
//	trove server --blobs 's3://KEY:SECRET@bench?endpoint=http://127.0.0.1:7070&region=us-east-1'
package s3test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	// Every test that runs a gateway opens s3:// stores or references.
	_ "github.com/troveml/trove/scheme/s3"
)

// Region is the region every gateway answers as (versitygw's default).
const Region = "us-east-1"

// Gateway is a running versitygw. Its fields are read-only.
type Gateway struct {
	// Endpoint is the gateway's base URL, http://127.0.0.1:PORT.
	Endpoint string
	// AccessKey and SecretKey are the credentials of its root account,
	// random for every gateway.
	AccessKey, SecretKey string
	// Dir is the directory it serves: bucket b is the directory Dir/b, and
	// object k of b the file Dir/b/k.
	Dir string
	// VersionsDir is where a gateway of VersionedServer keeps the older
	// versions of objects; "" for a gateway of Server.
	VersionsDir string

	client *s3.Client
	cmd    *exec.Cmd
	exited chan struct{} // closed when cmd has exited
	out    *syncBuffer
}

// Binary returns the path of the versitygw executable: the one on PATH, else
// the one in $(go env GOPATH)/bin, else in $HOME/go/bin.
func Binary() (string, error) {
	if p, err := exec.LookPath("versitygw"); err == nil {
		return p, nil
	}
	var dirs []string
	if gp := goPath(); gp != "" {
		for _, d := range filepath.SplitList(gp) {
			dirs = append(dirs, filepath.Join(d, "bin"))
		}
	}
	if home, err := os.UserHomeDir(); err == nil {
		dirs = append(dirs, filepath.Join(home, "go", "bin"))
	}
	for _, d := range dirs {
		p := filepath.Join(d, "versitygw")
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", errors.New("versitygw not found on PATH, in $(go env GOPATH)/bin or in $HOME/go/bin; install it with\n\tgo install github.com/versity/versitygw/cmd/versitygw@latest")
}

// goPath is $(go env GOPATH), asked of the go command only when GOPATH is not
// in the environment.
func goPath() string {
	if gp := os.Getenv("GOPATH"); gp != "" {
		return gp
	}
	out, err := exec.Command("go", "env", "GOPATH").Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

// Start starts a gateway for t and returns the URL of a fresh, empty bucket
// on it, credentials included, for blob.Open.
func Start(t testing.TB) string {
	t.Helper()
	return Server(t).NewBucketURL(t)
}

// Server starts a gateway over a fresh temporary directory and kills it when
// t ends. Without versitygw it skips t, or fails it if TROVE_REQUIRE_ALL=1.
func Server(t testing.TB) *Gateway {
	t.Helper()
	return server(t, false)
}

// VersionedServer is Server with object versioning available: a bucket
// keeps versions once PutBucketVersioning turns them on (see
// NewVersionedBucket); other buckets behave as on Server.
func VersionedServer(t testing.TB) *Gateway {
	t.Helper()
	return server(t, true)
}

func server(t testing.TB, versioned bool) *Gateway {
	t.Helper()
	bin, err := Binary()
	if err != nil {
		if os.Getenv("TROVE_REQUIRE_ALL") == "1" {
			t.Fatalf("s3test: %v", err)
		}
		t.Skipf("s3test: %v", err)
	}
	g := &Gateway{Dir: t.TempDir(), AccessKey: randomString(10), SecretKey: randomString(20)}
	if versioned {
		g.VersionsDir = t.TempDir()
	}
	// Another process may take the free port before the gateway binds it;
	// try a few times.
	for attempt := 1; ; attempt++ {
		err = g.start(bin)
		if err == nil {
			break
		}
		if attempt == 3 {
			t.Fatalf("s3test: starting versitygw: %v", err)
		}
	}
	t.Cleanup(g.stop)
	g.client = s3.New(s3.Options{
		Region:       Region,
		BaseEndpoint: aws.String(g.Endpoint),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(g.AccessKey, g.SecretKey, ""),
	})
	return g
}

// start runs the gateway on a free loopback port and waits until it answers.
func (g *Gateway) start(bin string) error {
	addr, err := freeAddr()
	if err != nil {
		return err
	}
	g.out = new(syncBuffer)
	args := []string{"--access", g.AccessKey, "--secret", g.SecretKey, "--region", Region,
		"--port", addr, "--quiet", "posix"}
	if g.VersionsDir != "" {
		args = append(args, "--versioning-dir", g.VersionsDir)
	}
	cmd := exec.Command(bin, append(args, g.Dir)...)
	cmd.Stdout, cmd.Stderr = g.out, g.out
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	g.cmd, g.exited = cmd, exited
	g.Endpoint = "http://" + addr
	// Wait for the listener. A readiness deadline, not a timed assertion:
	// versitygw listens within milliseconds.
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case <-exited:
			return fmt.Errorf("versitygw exited: %s\n%s", cmd.ProcessState, g.out)
		default:
		}
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		if time.Now().After(deadline) {
			g.kill()
			return fmt.Errorf("versitygw does not listen on %s: %v\n%s", addr, err, g.out)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// stop kills the gateway.
func (g *Gateway) stop() { g.kill() }

// kill kills the gateway and waits until it is gone, so that it writes
// nothing into Dir while the test's cleanup removes it.
func (g *Gateway) kill() {
	g.cmd.Process.Kill()
	<-g.exited
}

// freeAddr returns a loopback address with a port that was free a moment ago.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

var bucketSeq atomic.Int64

// NewBucket creates an empty bucket and returns its name.
func (g *Gateway) NewBucket(t testing.TB) string {
	t.Helper()
	name := fmt.Sprintf("trove-%d-%s", bucketSeq.Add(1), strings.ToLower(randomString(6)))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := g.client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Fatalf("s3test: create bucket %s: %v\n%s", name, err, g.out)
	}
	return name
}

// NewVersionedBucket creates an empty bucket with versioning enabled and
// returns its name. The gateway must come from VersionedServer.
func (g *Gateway) NewVersionedBucket(t testing.TB) string {
	t.Helper()
	if g.VersionsDir == "" {
		t.Fatalf("s3test: NewVersionedBucket needs a gateway of VersionedServer")
	}
	name := g.NewBucket(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := g.client.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{
		Bucket:                  aws.String(name),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled},
	}); err != nil {
		t.Fatalf("s3test: enable versioning of bucket %s: %v\n%s", name, err, g.out)
	}
	return name
}

// URL returns the s3:// URL of bucket, carrying the endpoint, region and
// credentials, for blob.Open.
func (g *Gateway) URL(bucket string) string {
	q := url.Values{"endpoint": {g.Endpoint}, "region": {Region}}
	u := url.URL{Scheme: "s3", User: url.UserPassword(g.AccessKey, g.SecretKey), Host: bucket, RawQuery: q.Encode()}
	return u.String()
}

// NewBucketURL creates an empty bucket and returns its URL (see URL).
func (g *Gateway) NewBucketURL(t testing.TB) string {
	t.Helper()
	return g.URL(g.NewBucket(t))
}

// Env returns the standard AWS environment variables that point an S3
// client — blob.Open in a child process, the AWS CLI — at the gateway, as
// "NAME=value" strings for exec.Cmd.Env.
func (g *Gateway) Env() []string {
	return []string{
		"AWS_ACCESS_KEY_ID=" + g.AccessKey,
		"AWS_SECRET_ACCESS_KEY=" + g.SecretKey,
		"AWS_REGION=" + Region,
		"AWS_ENDPOINT_URL_S3=" + g.Endpoint,
	}
}

// Client returns an S3 client of the gateway's root account, for tests that
// look behind the store's back (multipart uploads, object metadata).
func (g *Gateway) Client() *s3.Client { return g.client }

// randomString returns n random characters of [0-9A-Z].
func randomString(n int) string {
	b := make([]byte, (n+1)/2)
	rand.Read(b)
	return strings.ToUpper(hex.EncodeToString(b))[:n]
}

// syncBuffer collects the gateway's output, written by exec's copying
// goroutine and read by failure messages.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
