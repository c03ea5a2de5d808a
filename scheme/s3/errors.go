package s3

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/troveml/trove/internal/core"
)

// describe turns an error of the AWS SDK into its kind and one line for
// people, without the SDK's operation prefix, request ids or retry notes:
// "operation error S3: GetObject, https response error StatusCode: 403,
// RequestID: …, HostID: …, api error AccessDenied: Access Denied" becomes
// "access denied (AccessDenied): …". ok is false for cancellation and for
// errors that did not come from the SDK.
func describe(err error) (kind error, msg string, ok bool) {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return nil, "", false
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		kind, msg = describeAPI(ae.ErrorCode(), firstLine(ae.ErrorMessage()), httpStatus(err))
		return kind, msg, true
	}
	if text := err.Error(); strings.Contains(text, "get identity") || strings.Contains(text, "failed to refresh cached credentials") {
		return core.ErrUnauthenticated, "no AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE", true
	}
	var se *smithyhttp.RequestSendError
	if errors.As(err, &se) {
		where := "the S3 endpoint"
		var ue *url.Error
		if errors.As(err, &ue) {
			if u, perr := url.Parse(ue.URL); perr == nil {
				where = u.Scheme + "://" + u.Host
			}
			err = ue.Err
		} else {
			err = se.Err
		}
		return core.ErrUnavailable, fmt.Sprintf("cannot reach %s: %s (check AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL or the endpoint parameter)", where, firstLine(err.Error())), true
	}
	return nil, "", false
}

// describeAPI is describe for an error S3 answered with: its code (for
// responses without a body, such as HEAD's, only the status text), message
// and HTTP status.
func describeAPI(code, msg string, status int) (error, string) {
	with := func(s string) string { return s + " (" + code + ")" }
	switch code {
	case "NoSuchBucket":
		return core.ErrNotFound, with("no such bucket")
	case "NoSuchKey", "NoSuchVersion":
		return core.ErrNotFound, with("no such object")
	case "InvalidAccessKeyId", "XAdminUserNotFound": // the second is versitygw's
		return core.ErrUnauthenticated, with("the access key id is unknown to the store: check AWS_ACCESS_KEY_ID")
	case "SignatureDoesNotMatch":
		return core.ErrUnauthenticated, with("the secret key does not match the access key id: check AWS_SECRET_ACCESS_KEY")
	case "ExpiredToken", "TokenRefreshRequired", "InvalidToken":
		return core.ErrUnauthenticated, with("the session token is expired or invalid: refresh AWS_SESSION_TOKEN")
	case "AccessDenied", "AllAccessDisabled", "AccountProblem":
		return core.ErrPermission, with("access denied: the credentials may not do this on the bucket")
	case "PermanentRedirect", "AuthorizationHeaderMalformed", "IllegalLocationConstraintException", "InvalidRegion":
		return core.ErrInvalid, with("the bucket is in another region: set AWS_REGION (or the region parameter) to the bucket's")
	}
	kind := core.ErrUnavailable
	switch {
	case status == http.StatusNotFound:
		kind = core.ErrNotFound
	case status == http.StatusForbidden:
		kind = core.ErrPermission
	case status == http.StatusUnauthorized:
		kind = core.ErrUnauthenticated
	case status >= 400 && status < 500:
		kind = core.ErrInvalid
	}
	if generic := code == "" || strings.EqualFold(code, strings.ReplaceAll(http.StatusText(status), " ", "")); !generic {
		if msg != "" && msg != code {
			return kind, code + ": " + msg
		}
		return kind, code
	}
	switch status {
	case http.StatusNotFound:
		return kind, "not found (404)"
	case http.StatusForbidden:
		return kind, "access denied (403): check the credentials (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY) and their permissions on the bucket"
	case http.StatusUnauthorized:
		return kind, "unauthenticated (401): check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
	case http.StatusMovedPermanently, http.StatusTemporaryRedirect:
		return core.ErrInvalid, fmt.Sprintf("the bucket is in another region (%d): set AWS_REGION (or the region parameter) to the bucket's", status)
	}
	return kind, fmt.Sprintf("S3 answered %d %s", status, http.StatusText(status))
}

// describeStore is describe for the blob store. The store says itself that
// a blob is not found, so the errors of a missing object (not those of a
// missing bucket) are left alone. Everything else is core.ErrUnavailable,
// whatever describe's kind: the bucket and the credentials are the
// server's, not its caller's, so a wrong secret is the object store being
// unusable (503, and /readyz says why), never the caller being
// unauthenticated (401, which a client would take for its own key).
func describeStore(err error) (kind error, msg string, ok bool) {
	var ae smithy.APIError
	if errors.As(err, &ae) && ae.ErrorCode() != "NoSuchBucket" && httpStatus(err) == http.StatusNotFound {
		switch ae.ErrorCode() {
		case "NoSuchKey", "NoSuchVersion", "NotFound", "":
			return nil, "", false
		}
	}
	if _, msg, ok = describe(err); !ok {
		return nil, "", false
	}
	return core.ErrUnavailable, msg, true
}

// firstLine is s up to its first line break.
func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

// httpStatus is the HTTP status of an S3 error, 0 when it has none.
func httpStatus(err error) int {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

// s3Err gives an error of a reference's request its kind and one line
// (describe); cancellation stays as it is.
func s3Err(err error, what string) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	kind, msg, ok := describe(err)
	if !ok {
		return core.Errorf(core.ErrUnavailable, "%s: %w", what, err)
	}
	return &core.Error{Kind: kind, Msg: what + ": " + msg, Err: err}
}
