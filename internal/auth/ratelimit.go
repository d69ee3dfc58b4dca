package auth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Login rate limiting keeps its counts in Postgres (login_attempts), so that
// every Waymark process behind a load balancer sees the same failures.
//
// An attempt is recorded before its password is checked, under a lock on
// its keys, and removed again if it succeeds. Counting in-flight attempts
// as failures is what makes the limit exact: a burst of parallel guesses
// cannot all pass the check before the first of them is recorded.

// attemptKeySet is what one login is counted under.
type attemptKeySet struct {
	// account is "account:<email>" (a digest for a string that is no
	// email), ipKey "ip:<address>", or for IPv6 the /64, which one
	// client usually owns whole.
	account string
	ipKey   string
	// email and ip are for logs and the session row.
	email string
	ip    string
}

func attemptKeys(email, remoteAddr string) attemptKeySet {
	var k attemptKeySet
	if e, err := NormalizeEmail(email); err == nil {
		k.account, k.email = "account:"+e, e
	} else {
		sum := sha256.Sum256([]byte(strings.ToLower(strings.TrimSpace(email))))
		k.account, k.email = "account#"+hex.EncodeToString(sum[:16]), "(not an email)"
	}
	addr, ok := clientAddr(remoteAddr)
	switch {
	case !ok:
		k.ipKey = "ip:unknown"
	case addr.Is6():
		p, _ := addr.Prefix(64)
		k.ipKey, k.ip = "ip:"+p.String(), addr.String()
	default:
		k.ipKey, k.ip = "ip:"+addr.String(), addr.String()
	}
	return k
}

// clientAddr parses the address of http.Request.RemoteAddr (host:port) or a
// bare host, mapping IPv4-in-IPv6 to IPv4 and dropping any zone.
func clientAddr(remote string) (netip.Addr, bool) {
	host := remote
	if h, _, err := net.SplitHostPort(remote); err == nil {
		host = h
	}
	addr, err := netip.ParseAddr(strings.Trim(host, "[]"))
	if err != nil {
		return netip.Addr{}, false
	}
	return addr.Unmap().WithZone(""), true
}

// reserveAttempt refuses the login when either key is over its limit, and
// otherwise records the attempt under both, returning the two rows' ids
// (account, address).
func (a *Auth) reserveAttempt(ctx context.Context, k attemptKeySet) ([2]int64, error) {
	var ids [2]int64
	var retry time.Duration
	now := a.now()
	err := a.inTx(ctx, func(tx pgx.Tx) error {
		// Always account then address: one order, no deadlocks.
		for _, key := range []string{k.account, k.ipKey} {
			if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, key); err != nil {
				return err
			}
		}
		for _, c := range []struct {
			key   string
			limit Limit
		}{{k.account, a.opts.AccountLimit}, {k.ipKey, a.opts.IPLimit}} {
			if _, err := tx.Exec(ctx, `DELETE FROM login_attempts WHERE key = $1 AND at <= $2`, c.key, now.Add(-c.limit.Window)); err != nil {
				return err
			}
			// When the limit-th newest attempt leaves the window, one
			// fewer than the limit remain: that is when to retry.
			var at time.Time
			err := tx.QueryRow(ctx, `
				SELECT at FROM login_attempts WHERE key = $1 AND at > $2
				ORDER BY at DESC OFFSET $3 LIMIT 1`, c.key, now.Add(-c.limit.Window), c.limit.Failures-1).Scan(&at)
			if errors.Is(err, pgx.ErrNoRows) {
				continue
			}
			if err != nil {
				return err
			}
			retry = max(retry, at.Add(c.limit.Window).Sub(now))
		}
		if retry > 0 {
			return nil
		}
		for i, key := range []string{k.account, k.ipKey} {
			if err := tx.QueryRow(ctx, `INSERT INTO login_attempts (key, at) VALUES ($1, $2) RETURNING id`, key, now).Scan(&ids[i]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return ids, fmt.Errorf("check login rate: %w", err)
	}
	if retry > 0 {
		// Whole seconds, rounded up, as Retry-After takes them.
		retry = max(time.Second, (retry + time.Second - 1).Truncate(time.Second))
		a.log.WarnContext(ctx, "login rate limited", "email", k.email, "remote_addr", k.ip, "retry_after", retry)
		return ids, &RateLimitError{RetryAfter: retry}
	}
	return ids, nil
}
