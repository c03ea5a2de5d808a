package server

import (
	"errors"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics are the server's Prometheus collectors.
type metrics struct {
	requests *prometheus.CounterVec   // route, method, code
	duration *prometheus.HistogramVec // route, method
	inFlight prometheus.Gauge
	blob     *prometheus.CounterVec // direction: in, out
	gatherer prometheus.Gatherer
	// Garbage collection (gc.go).
	gcRuns, gcFreedBytes prometheus.Counter
}

// newMetrics registers the collectors on reg (a new registry with the Go
// and process collectors when nil). Collectors already registered by
// another Server on the same registry are shared, so several servers may
// live in one process.
func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	var gatherer prometheus.Gatherer
	if reg == nil {
		r := prometheus.NewRegistry()
		r.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
		reg, gatherer = r, r
	} else if g, ok := reg.(prometheus.Gatherer); ok {
		gatherer = g
	} else {
		gatherer = prometheus.DefaultGatherer
	}
	m := &metrics{gatherer: gatherer}
	var err error
	if m.requests, err = register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "trove_http_requests_total",
		Help: "HTTP requests served, by route pattern, method and status code.",
	}, []string{"route", "method", "code"})); err != nil {
		return nil, err
	}
	if m.duration, err = register(reg, prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "trove_http_request_duration_seconds",
		Help:    "Time to serve an HTTP request, by route pattern and method.",
		Buckets: []float64{.001, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300},
	}, []string{"route", "method"})); err != nil {
		return nil, err
	}
	if m.inFlight, err = register(reg, prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "trove_http_requests_in_flight",
		Help: "HTTP requests being served.",
	})); err != nil {
		return nil, err
	}
	if m.blob, err = register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "trove_http_blob_bytes_total",
		Help: "Blob bytes carried by the server, by direction (in: uploads, out: downloads).",
	}, []string{"direction"})); err != nil {
		return nil, err
	}
	if m.gcRuns, err = register(reg, prometheus.NewCounter(prometheus.CounterOpts{
		Name: "trove_gc_runs_total",
		Help: "Garbage collections run by this process (dry runs excluded).",
	})); err != nil {
		return nil, err
	}
	if m.gcFreedBytes, err = register(reg, prometheus.NewCounter(prometheus.CounterOpts{
		Name: "trove_gc_freed_bytes_total",
		Help: "Bytes of blobs freed by garbage collection.",
	})); err != nil {
		return nil, err
	}
	return m, nil
}

// register registers c, or returns the equal collector registered before.
func register[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if old, ok := are.ExistingCollector.(C); ok {
				return old, nil
			}
		}
		return c, err
	}
	return c, nil
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.gatherer, promhttp.HandlerOpts{})
}

// routeMetrics are the collectors of one route, curried once at start-up.
type routeMetrics struct {
	m        *metrics
	route    string
	blob     bool
	requests *prometheus.CounterVec
	duration prometheus.ObserverVec
}

func (m *metrics) forRoute(pattern string, blob bool) *routeMetrics {
	l := prometheus.Labels{"route": pattern}
	return &routeMetrics{
		m: m, route: pattern, blob: blob,
		requests: m.requests.MustCurryWith(l),
		duration: m.duration.MustCurryWith(l),
	}
}

func (rm *routeMetrics) observe(method, code string, d time.Duration, in, out int64) {
	rm.requests.WithLabelValues(method, code).Inc()
	rm.duration.WithLabelValues(method).Observe(d.Seconds())
	if rm.blob {
		rm.m.blob.WithLabelValues("in").Add(float64(in))
		rm.m.blob.WithLabelValues("out").Add(float64(out))
	}
}
