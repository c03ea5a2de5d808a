package client_test

import (
	"testing"

	"github.com/troveml/trove/internal/client"
	"github.com/troveml/trove/internal/service"
	"github.com/troveml/trove/internal/service/servicetest"
)

// TestConformanceExpiry runs the time-to-live suite over HTTP.
func TestConformanceExpiry(t *testing.T) {
	servicetest.RunExpiry(t, func(t *testing.T, clock *servicetest.Clock) service.API {
		return newEnv(t, envOptions{now: clock.Now}).client(t, client.Options{})
	})
}
