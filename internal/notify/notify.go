// Package notify tells people about SLO alerts: it keeps the notification
// channels (JSON webhooks, Slack, Alertmanager), words a transition for
// each (payload.go) and delivers the notifications the evaluations owe
// (deliver.go), each transition to each channel once and in order.
//
// The transitions and the notifications they owe come from
// internal/sloeval, which writes them in one transaction; the notification
// job in jobs runs Deliver.
package notify

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/waymarkhq/waymark/internal/sloeval"
)

// Defaults of Options.
const (
	// DefaultHTTPTimeout bounds one notification request.
	DefaultHTTPTimeout = 10 * time.Second
	// DefaultAlertmanagerResend is how often a firing alert is re-sent to
	// Alertmanager (sloeval.DefaultAlertmanagerResend).
	DefaultAlertmanagerResend = sloeval.DefaultAlertmanagerResend
)

// Options configure a Service. Zero values take the defaults above.
type Options struct {
	Logger *slog.Logger
	// Now is the clock; tests set it.
	Now func() time.Time
	// AlertmanagerResend is how often the evaluations re-send a firing
	// alert to Alertmanager (sloeval.Options.AlertmanagerResend): an
	// alert's endsAt is set four of these ahead.
	AlertmanagerResend time.Duration
	// HTTPClient sends notifications; nil uses one with DefaultHTTPTimeout.
	HTTPClient *http.Client
}

func (o Options) withDefaults() Options {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.AlertmanagerResend <= 0 {
		o.AlertmanagerResend = DefaultAlertmanagerResend
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: DefaultHTTPTimeout}
	}
	return o
}

// Service keeps channels and delivers notifications. It is safe for
// concurrent use.
type Service struct {
	pool  *pgxpool.Pool
	evals *sloeval.Service
	opts  Options
	log   *slog.Logger
}

// NewService returns a Service over the shared pool; evals reads the
// transitions it delivers and links to their pages.
func NewService(pool *pgxpool.Pool, evals *sloeval.Service, opts Options) *Service {
	opts = opts.withDefaults()
	return &Service{pool: pool, evals: evals, opts: opts, log: opts.Logger}
}

func (s *Service) now() time.Time { return s.opts.Now() }

// Delivery is one notification to send: a transition to a channel.
type Delivery = sloeval.Delivery

// Transition is a stored change of an SLO's alert state.
type Transition = sloeval.Transition

// querier is what both a pool and a transaction offer.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}
