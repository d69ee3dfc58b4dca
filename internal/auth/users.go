package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/mail"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// maxEmailLength is the longest address SMTP allows (RFC 5321 path limit).
const maxEmailLength = 254

// NormalizeEmail returns email trimmed and lower-cased, or a
// *ValidationError when it is not a plain address like name@example.com.
//
// Lower-casing the local part is not strictly RFC-correct, but every mail
// system people sign in with treats it case-insensitively, and one account
// per person matters more here.
func NormalizeEmail(email string) (string, error) {
	e := strings.ToLower(strings.TrimSpace(email))
	switch {
	case e == "":
		return "", invalid("email", "must be set")
	case len(e) > maxEmailLength:
		return "", invalid("email", "must be at most %d characters", maxEmailLength)
	case strings.IndexFunc(e, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) || r == unicode.ReplacementChar }) >= 0:
		return "", invalid("email", "must not contain spaces or control characters")
	}
	local, domain, ok := strings.Cut(e, "@")
	if !ok || local == "" || domain == "" || strings.Contains(domain, "@") {
		return "", invalid("email", "%q is not an address like name@example.com", email)
	}
	if !strings.Contains(domain, ".") && domain != "localhost" || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") || strings.Contains(domain, "..") {
		return "", invalid("email", "%q does not have a valid domain", email)
	}
	// The parser accepts display names and comments; only a bare address
	// that parses back to itself is an address here.
	a, err := mail.ParseAddress(e)
	if err != nil || a.Name != "" || a.Address != e {
		return "", invalid("email", "%q is not an address like name@example.com", email)
	}
	return e, nil
}

// User is an account.
type User struct {
	ID    int64
	Email string
	Role  Role
	// Disabled users cannot sign in and lose their sessions.
	Disabled bool
	// HasPassword is false for accounts the auth proxy created.
	HasPassword bool
	CreatedAt   time.Time
	UpdatedAt   time.Time
	// LastLoginAt is zero until the first password login.
	LastLoginAt time.Time
}

// auditJSON is what the audit log keeps of a user: never the hash.
func (u User) auditJSON() json.RawMessage {
	b, _ := json.Marshal(struct {
		ID          int64  `json:"id"`
		Email       string `json:"email"`
		Role        Role   `json:"role"`
		Disabled    bool   `json:"disabled"`
		HasPassword bool   `json:"has_password"`
	}{u.ID, u.Email, u.Role, u.Disabled, u.HasPassword})
	return b
}

const userColumns = `id, email, role, password_hash IS NOT NULL, disabled_at IS NOT NULL, created_at, updated_at, last_login_at`

func scanUser(row pgx.Row) (User, error) {
	var u User
	var role string
	var last *time.Time
	if err := row.Scan(&u.ID, &u.Email, &role, &u.HasPassword, &u.Disabled, &u.CreatedAt, &u.UpdatedAt, &last); err != nil {
		return User{}, err
	}
	u.Role = Role(role)
	u.CreatedAt = u.CreatedAt.UTC()
	u.UpdatedAt = u.UpdatedAt.UTC()
	if last != nil {
		u.LastLoginAt = last.UTC()
	}
	return u, nil
}

// NewUser is an account to create.
type NewUser struct {
	Email string
	Role  Role
	// Password may be empty: the account then cannot sign in by password
	// until one is set.
	Password string
}

// CreateUser creates an account. Only an admin (or System, or the CLI) may.
// A taken email is an error wrapping ErrConflict.
func (a *Auth) CreateUser(ctx context.Context, actor Principal, nu NewUser) (User, error) {
	if !actor.HasRole(RoleAdmin) {
		return User{}, fmt.Errorf("create user: %w", ErrForbidden)
	}
	email, err := NormalizeEmail(nu.Email)
	if err != nil {
		return User{}, err
	}
	if !nu.Role.Valid() {
		return User{}, invalid("role", "%q is not one of viewer, editor, admin", nu.Role)
	}
	var hash *string
	if nu.Password != "" {
		if err := CheckPassword(nu.Password); err != nil {
			return User{}, err
		}
		h, err := HashPassword(nu.Password, a.opts.Password)
		if err != nil {
			return User{}, err
		}
		hash = &h
	}
	var u User
	err = a.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		u, err = a.insertUser(ctx, tx, email, nu.Role, hash)
		if err != nil {
			return err
		}
		e := actor.Entry("user.create", "user", strconv.FormatInt(u.ID, 10))
		e.At, e.After = a.now(), u.auditJSON()
		return Record(ctx, tx, e)
	})
	if err != nil {
		return User{}, fmt.Errorf("create user %s: %w", email, err)
	}
	return u, nil
}

func (a *Auth) insertUser(ctx context.Context, tx pgx.Tx, email string, role Role, hash *string) (User, error) {
	now := a.now()
	u, err := scanUser(tx.QueryRow(ctx, `
		INSERT INTO users (email, role, password_hash, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $4)
		RETURNING `+userColumns, email, string(role), hash, now))
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		return User{}, fmt.Errorf("email is taken: %w", ErrConflict)
	}
	return u, err
}

// GetUser returns the user with id, or an error wrapping ErrNotFound.
func (a *Auth) GetUser(ctx context.Context, id int64) (User, error) {
	u, err := scanUser(a.pool.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return User{}, fmt.Errorf("user %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return User{}, fmt.Errorf("get user %d: %w", id, err)
	}
	return u, nil
}

// UserByEmail returns the user with email (in any case), or an error
// wrapping ErrNotFound.
func (a *Auth) UserByEmail(ctx context.Context, email string) (User, error) {
	e, err := NormalizeEmail(email)
	if err != nil {
		return User{}, err
	}
	u, err := scanUser(a.pool.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE email = $1`, e))
	if errors.Is(err, pgx.ErrNoRows) {
		return User{}, fmt.Errorf("user %s: %w", e, ErrNotFound)
	}
	if err != nil {
		return User{}, fmt.Errorf("get user %s: %w", e, err)
	}
	return u, nil
}

// ListUsers returns every user ordered by email.
func (a *Auth) ListUsers(ctx context.Context) ([]User, error) {
	rows, err := a.pool.Query(ctx, `SELECT `+userColumns+` FROM users ORDER BY email COLLATE "C"`)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	users, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (User, error) { return scanUser(r) })
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return users, nil
}

// SetRole changes a user's role. Only an admin may, and never so that no
// enabled admin is left (ErrLastAdmin).
func (a *Auth) SetRole(ctx context.Context, actor Principal, id int64, role Role) (User, error) {
	if !actor.HasRole(RoleAdmin) {
		return User{}, fmt.Errorf("set role: %w", ErrForbidden)
	}
	if !role.Valid() {
		return User{}, invalid("role", "%q is not one of viewer, editor, admin", role)
	}
	return a.changeUser(ctx, actor, id, "user.role", func(u User) (string, []any, bool) {
		if u.Role == role {
			return "", nil, false
		}
		return `role = $2`, []any{string(role)}, u.Role == RoleAdmin && !u.Disabled
	})
}

// SetDisabled disables or enables a user. Disabling ends every session of
// the user at once. Only an admin may, and never the last enabled admin.
func (a *Auth) SetDisabled(ctx context.Context, actor Principal, id int64, disabled bool) (User, error) {
	if !actor.HasRole(RoleAdmin) {
		return User{}, fmt.Errorf("set disabled: %w", ErrForbidden)
	}
	action := "user.enable"
	if disabled {
		action = "user.disable"
	}
	return a.changeUser(ctx, actor, id, action, func(u User) (string, []any, bool) {
		if u.Disabled == disabled {
			return "", nil, false
		}
		if disabled {
			return `disabled_at = $2`, []any{a.now()}, u.Role == RoleAdmin
		}
		return `disabled_at = NULL`, nil, false
	})
}

// SetPassword sets a user's password and ends all the user's sessions, so
// that whoever knew the old one is signed out everywhere. An admin may set
// anyone's; a user only their own.
func (a *Auth) SetPassword(ctx context.Context, actor Principal, id int64, password string) error {
	if !actor.HasRole(RoleAdmin) && !(actor.IsUser() && actor.UserID == id) {
		return fmt.Errorf("set password: %w", ErrForbidden)
	}
	if err := CheckPassword(password); err != nil {
		return err
	}
	hash, err := HashPassword(password, a.opts.Password)
	if err != nil {
		return err
	}
	_, err = a.changeUser(ctx, actor, id, "user.password", func(User) (string, []any, bool) {
		return `password_hash = $2`, []any{hash}, false
	})
	return err
}

// adminLockKey serialises changes that could remove the last admin, so two
// admins demoting each other at once cannot both succeed.
const adminLockKey = 0x77616430 // "wad0"

// changeUser locks user id, asks change for the SET clause (args from $2),
// and applies it with an audit entry and, for anything that weakens the
// account, the end of its sessions. removesAdmin asks for the last-admin
// check. An empty clause changes nothing.
func (a *Auth) changeUser(ctx context.Context, actor Principal, id int64, action string,
	change func(User) (set string, args []any, removesAdmin bool)) (User, error) {
	var after User
	err := a.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, adminLockKey); err != nil {
			return err
		}
		before, err := scanUser(tx.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1 FOR UPDATE`, id))
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("user %d: %w", id, ErrNotFound)
		}
		if err != nil {
			return err
		}
		set, args, removesAdmin := change(before)
		if set == "" {
			after = before
			return nil
		}
		if removesAdmin {
			var others int
			err := tx.QueryRow(ctx, `SELECT count(*) FROM users WHERE role = 'admin' AND disabled_at IS NULL AND id <> $1`, id).Scan(&others)
			if err != nil {
				return err
			}
			if others == 0 {
				return ErrLastAdmin
			}
		}
		now := a.now()
		args = append([]any{id}, args...)
		args = append(args, now)
		after, err = scanUser(tx.QueryRow(ctx, fmt.Sprintf(`UPDATE users SET %s, updated_at = $%d WHERE id = $1 RETURNING %s`, set, len(args), userColumns), args...))
		if err != nil {
			return err
		}
		if action == "user.disable" || action == "user.password" {
			if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE user_id = $1`, id); err != nil {
				return err
			}
		}
		e := actor.Entry(action, "user", strconv.FormatInt(id, 10))
		e.At, e.Before, e.After = now, before.auditJSON(), after.auditJSON()
		return Record(ctx, tx, e)
	})
	if err != nil {
		return User{}, fmt.Errorf("%s %d: %w", strings.ReplaceAll(action, ".", " "), id, err)
	}
	return after, nil
}

func (a *Auth) inTx(ctx context.Context, fn func(pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, a.pool, fn)
}
