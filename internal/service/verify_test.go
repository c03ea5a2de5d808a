package service_test

import (
	"path/filepath"
	"testing"

	"github.com/troveml/trove/internal/service"
	"github.com/troveml/trove/internal/service/servicetest"
)

func TestEmbeddedVerify(t *testing.T) {
	servicetest.RunVerify(t, func(t *testing.T) (service.API, service.Verifier, string) {
		svc, dir := newEmbedded(t, service.Options{})
		return svc, svc, filepath.Join(dir, "blobs")
	})
}
