package auth

import (
	"bytes"
	"context"
	"log/slog"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/waymarkhq/waymark/internal/pgtest"
)

// cheap keeps argon2id honest but fast in tests that log in many times; the
// defaults are tested on their own.
var cheap = PasswordParams{Memory: 64, Time: 1, Threads: 1}

// t0 is where every test clock starts.
var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// clock is a controllable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// syncBuffer is a log sink safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// bundle is what a test works with.
type bundle struct {
	auth  *Auth
	pool  *pgxpool.Pool
	clock *clock
	logs  *syncBuffer
	ctx   context.Context
}

// setup returns an Auth on a fresh database with a clock at t0 and cheap
// password hashing; opts adjusts the options.
func setup(t testing.TB, opts ...func(*Options)) bundle {
	t.Helper()
	b := bundle{pool: pgtest.New(t), clock: &clock{t: t0}, logs: &syncBuffer{}, ctx: context.Background()}
	o := Options{
		Now:      b.clock.Now,
		Logger:   slog.New(slog.NewTextHandler(b.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Password: cheap,
	}
	for _, f := range opts {
		f(&o)
	}
	a, err := New(b.pool, o)
	require.NoError(t, err)
	b.auth = a
	return b
}

// user creates an account with password "correct horse battery".
func (b bundle) user(t *testing.T, email string, role Role) User {
	t.Helper()
	u, err := b.auth.CreateUser(b.ctx, System, NewUser{Email: email, Role: role, Password: testPassword})
	require.NoError(t, err)
	return u
}

const testPassword = "correct horse battery"

// login signs email in with testPassword from addr.
func (b bundle) login(t *testing.T, email string) Session {
	t.Helper()
	s, err := b.auth.Login(b.ctx, LoginRequest{Email: email, Password: testPassword, RemoteAddr: "192.0.2.10:5000"})
	require.NoError(t, err)
	return s
}

// count runs a count query.
func (b bundle) count(t *testing.T, q string, args ...any) int {
	t.Helper()
	var n int
	require.NoError(t, b.pool.QueryRow(b.ctx, q, args...).Scan(&n))
	return n
}

func itoa(id int64) string { return strconv.FormatInt(id, 10) }
