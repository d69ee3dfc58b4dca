// Package admin serves signing in and out and the admin pages: users, API
// tokens, the audit log and notification channels, with their views.
package admin

import (
	"github.com/waymarkhq/waymark/web/alerthttp"
	"github.com/waymarkhq/waymark/web/httpx"
)

// Handler serves the sign-in and admin pages; its methods are the pages,
// routed in the web package.
type Handler struct {
	*httpx.Base
	alerting      alerthttp.ChannelStore
	ch            *alerthttp.ChannelFlow
	secureCookies bool
}

// New returns the sign-in and admin pages' handler; secureCookies marks
// the session cookie Secure.
func New(b *httpx.Base, channels *alerthttp.ChannelFlow, secureCookies bool) *Handler {
	return &Handler{Base: b, alerting: channels.Channels, ch: channels, secureCookies: secureCookies}
}
