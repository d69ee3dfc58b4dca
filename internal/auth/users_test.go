package auth

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestCreateUser(t *testing.T) {
	t.Parallel()
	b := setup(t)
	admin := b.user(t, "root@example.com", RoleAdmin)
	actor := Principal{Kind: ActorUser, UserID: admin.ID, Email: admin.Email, Name: admin.Email, Role: RoleAdmin, RemoteAddr: "192.0.2.7"}

	u, err := b.auth.CreateUser(b.ctx, actor, NewUser{Email: "  Pat@Example.COM ", Role: RoleEditor, Password: "twelve chars"})
	require.NoError(t, err)
	require.Equal(t, User{ID: u.ID, Email: "pat@example.com", Role: RoleEditor, HasPassword: true, CreatedAt: t0, UpdatedAt: t0}, u)

	got, err := b.auth.UserByEmail(b.ctx, "PAT@example.com")
	require.NoError(t, err)
	require.Equal(t, u, got)
	got, err = b.auth.GetUser(b.ctx, u.ID)
	require.NoError(t, err)
	require.Equal(t, u, got)

	// No password: a proxy-style account that cannot sign in by password.
	np, err := b.auth.CreateUser(b.ctx, actor, NewUser{Email: "sso@example.com", Role: RoleViewer})
	require.NoError(t, err)
	require.False(t, np.HasPassword)

	all, err := b.auth.ListUsers(b.ctx)
	require.NoError(t, err)
	var emails []string
	for _, u := range all {
		emails = append(emails, u.Email)
	}
	require.Equal(t, []string{"pat@example.com", "root@example.com", "sso@example.com"}, emails)

	page, err := b.auth.ListAudit(b.ctx, AuditFilter{Actor: "root@example.com"})
	require.NoError(t, err)
	require.Len(t, page.Entries, 2)
	e := page.Entries[1]
	require.Equal(t, Entry{ID: e.ID, Actor: "root@example.com", ActorKind: ActorUser, Action: "user.create", Object: "user",
		ObjectID: itoa(u.ID), At: t0, RemoteAddr: "192.0.2.7",
		After: []byte(`{"id": ` + itoa(u.ID) + `, "role": "editor", "email": "pat@example.com", "disabled": false, "has_password": true}`)}, e)

	tests := []struct {
		name  string
		actor Principal
		nu    NewUser
		want  string
		is    error
	}{
		{"taken", actor, NewUser{Email: "PAT@example.com", Role: RoleViewer}, "create user pat@example.com: email is taken: conflict", ErrConflict},
		{"bad email", actor, NewUser{Email: "pat", Role: RoleViewer}, `email: "pat" is not an address like name@example.com`, ErrInvalid},
		{"bad role", actor, NewUser{Email: "x@example.com", Role: "owner"}, `role: "owner" is not one of viewer, editor, admin`, ErrInvalid},
		{"short password", actor, NewUser{Email: "x@example.com", Role: RoleViewer, Password: "eleven char"}, "password: must be at least 12 characters", ErrInvalid},
		{"editor", Principal{Kind: ActorUser, UserID: 9, Role: RoleEditor}, NewUser{Email: "x@example.com", Role: RoleViewer}, "create user: forbidden", ErrForbidden},
		{"token", Principal{Kind: ActorToken, Scopes: Scopes}, NewUser{Email: "x@example.com", Role: RoleViewer}, "create user: forbidden", ErrForbidden},
	}
	for _, tt := range tests {
		_, err := b.auth.CreateUser(b.ctx, tt.actor, tt.nu)
		require.EqualError(t, err, tt.want, tt.name)
		require.ErrorIs(t, err, tt.is, tt.name)
	}
	_, err = b.auth.GetUser(b.ctx, 999)
	require.EqualError(t, err, "user 999: not found")
	require.ErrorIs(t, err, ErrNotFound)
}

func TestChangeUser(t *testing.T) {
	t.Parallel()
	b := setup(t)
	root := b.user(t, "root@example.com", RoleAdmin)
	pat := b.user(t, "pat@example.com", RoleViewer)
	cli := CLI("ops")

	// The only admin can be neither demoted nor disabled.
	_, err := b.auth.SetRole(b.ctx, cli, root.ID, RoleEditor)
	require.ErrorIs(t, err, ErrLastAdmin)
	_, err = b.auth.SetDisabled(b.ctx, cli, root.ID, true)
	require.ErrorIs(t, err, ErrLastAdmin)

	b.clock.Advance(time.Minute)
	u, err := b.auth.SetRole(b.ctx, cli, pat.ID, RoleAdmin)
	require.NoError(t, err)
	require.Equal(t, User{ID: pat.ID, Email: "pat@example.com", Role: RoleAdmin, HasPassword: true, CreatedAt: t0, UpdatedAt: t0.Add(time.Minute)}, u)

	// With a second admin, the first may go.
	_, err = b.auth.SetRole(b.ctx, cli, root.ID, RoleViewer)
	require.NoError(t, err)

	// Disabling ends the user's sessions at once.
	s := b.login(t, "root@example.com")
	_, err = b.auth.Session(b.ctx, s.Token)
	require.NoError(t, err)
	u, err = b.auth.SetDisabled(b.ctx, cli, root.ID, true)
	require.NoError(t, err)
	require.True(t, u.Disabled)
	_, err = b.auth.Session(b.ctx, s.Token)
	require.ErrorIs(t, err, ErrUnauthorized)
	_, err = b.auth.Login(b.ctx, LoginRequest{Email: "root@example.com", Password: testPassword})
	require.ErrorIs(t, err, ErrInvalidCredentials)

	u, err = b.auth.SetDisabled(b.ctx, cli, root.ID, false)
	require.NoError(t, err)
	require.False(t, u.Disabled)
	b.login(t, "root@example.com")

	// A user may change their own password, not someone else's; the
	// change ends every session.
	self := Principal{Kind: ActorUser, UserID: root.ID, Role: RoleViewer, Name: root.Email}
	s = b.login(t, "root@example.com")
	require.NoError(t, b.auth.SetPassword(b.ctx, self, root.ID, "a brand new secret"))
	_, err = b.auth.Session(b.ctx, s.Token)
	require.ErrorIs(t, err, ErrUnauthorized)
	_, err = b.auth.Login(b.ctx, LoginRequest{Email: "root@example.com", Password: testPassword})
	require.ErrorIs(t, err, ErrInvalidCredentials)
	_, err = b.auth.Login(b.ctx, LoginRequest{Email: "root@example.com", Password: "a brand new secret"})
	require.NoError(t, err)
	require.ErrorIs(t, b.auth.SetPassword(b.ctx, self, pat.ID, "a brand new secret"), ErrForbidden)
	require.ErrorIs(t, b.auth.SetPassword(b.ctx, self, root.ID, "short"), ErrInvalid)

	_, err = b.auth.SetRole(b.ctx, self, pat.ID, RoleViewer)
	require.ErrorIs(t, err, ErrForbidden)
	_, err = b.auth.SetRole(b.ctx, cli, 999, RoleViewer)
	require.EqualError(t, err, "user role 999: user 999: not found")

	// Every change is in the audit log, newest first, with the state before
	// and after.
	page, err := b.auth.ListAudit(b.ctx, AuditFilter{Object: "user", ObjectID: itoa(root.ID)})
	require.NoError(t, err)
	var actions []string
	for _, e := range page.Entries {
		actions = append(actions, e.Action+" by "+e.Actor)
	}
	require.Equal(t, []string{
		"user.login by root@example.com",
		"user.password by root@example.com",
		"user.login by root@example.com",
		"user.login by root@example.com",
		"user.enable by cli:ops",
		"user.disable by cli:ops",
		"user.login by root@example.com",
		"user.role by cli:ops",
		"user.create by system",
	}, actions)
	role := page.Entries[7]
	require.JSONEq(t, `{"id": `+itoa(root.ID)+`, "role": "admin", "email": "root@example.com", "disabled": false, "has_password": true}`, string(role.Before))
	require.JSONEq(t, `{"id": `+itoa(root.ID)+`, "role": "viewer", "email": "root@example.com", "disabled": false, "has_password": true}`, string(role.After))
}

// TestLastAdminRace demotes two admins at once from both sides: exactly one
// demotion may win.
func TestLastAdminRace(t *testing.T) {
	t.Parallel()
	b := setup(t)
	a1 := b.user(t, "a1@example.com", RoleAdmin)
	a2 := b.user(t, "a2@example.com", RoleAdmin)
	errs := make(chan error, 2)
	for _, id := range []int64{a1.ID, a2.ID} {
		go func() {
			_, err := b.auth.SetRole(b.ctx, System, id, RoleViewer)
			errs <- err
		}()
	}
	var failed int
	for range 2 {
		if err := <-errs; err != nil {
			require.ErrorIs(t, err, ErrLastAdmin)
			failed++
		}
	}
	require.Equal(t, 1, failed)
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM users WHERE role = 'admin'`))
}
