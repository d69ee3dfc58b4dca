package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// Password length bounds, in characters. The upper bound only keeps a
// megabyte "password" from costing hashing time; no real one comes close.
const (
	MinPasswordLength = 12
	MaxPasswordLength = 512
)

// PasswordParams are the argon2id cost parameters (RFC 9106).
type PasswordParams struct {
	// Memory in KiB.
	Memory uint32
	// Time is the number of passes over the memory.
	Time uint32
	// Threads is the degree of parallelism.
	Threads uint8
}

// DefaultPasswordParams follow OWASP's password storage guidance for
// argon2id: 19 MiB, two passes, one thread. That costs some 20-40 ms per
// hash on one core, slow enough to make offline guessing expensive and fast
// enough that a burst of logins does not starve a two-core machine; a thread
// count of one keeps logins from competing with the workers for cores.
var DefaultPasswordParams = PasswordParams{Memory: 19 * 1024, Time: 2, Threads: 1}

// Bounds on parameters read back from a stored hash, so that a corrupted
// or planted row cannot make one login allocate gigabytes.
const (
	maxMemory  = 1 << 20 // 1 GiB in KiB
	maxTime    = 64
	saltLen    = 16
	keyLen     = 32
	maxHashLen = 64
)

func (p PasswordParams) check() error {
	switch {
	case p.Memory < 8*uint32(p.Threads) || p.Memory > maxMemory:
		return fmt.Errorf("memory %d KiB is out of range", p.Memory)
	case p.Time < 1 || p.Time > maxTime:
		return fmt.Errorf("time %d is out of range 1..%d", p.Time, maxTime)
	case p.Threads < 1:
		return errors.New("threads must be at least 1")
	}
	return nil
}

// CheckPassword says what is wrong with a new password, or nil.
func CheckPassword(password string) error {
	if !utf8.ValidString(password) {
		return invalid("password", "must be valid UTF-8")
	}
	n := utf8.RuneCountInString(password)
	if n < MinPasswordLength {
		return invalid("password", "must be at least %d characters", MinPasswordLength)
	}
	if n > MaxPasswordLength {
		return invalid("password", "must be at most %d characters", MaxPasswordLength)
	}
	return nil
}

// HashPassword returns the PHC-style string of an argon2id hash of password
// with a fresh random salt:
//
//	$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>
//
// with salt and hash in unpadded standard base64, the form of the reference
// implementation, so that the hashes can be checked by other tools.
func HashPassword(password string, p PasswordParams) (string, error) {
	if err := p.check(); err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, keyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.Memory, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// VerifyPassword reports whether password matches encoded, a string from
// HashPassword. The comparison takes constant time. A malformed encoded
// string is an error, never a match.
func VerifyPassword(password, encoded string) (bool, error) {
	h, err := parseHash(encoded)
	if err != nil {
		return false, err
	}
	key := argon2.IDKey([]byte(password), h.salt, h.params.Time, h.params.Memory, h.params.Threads, uint32(len(h.key)))
	return subtle.ConstantTimeCompare(key, h.key) == 1, nil
}

// NeedsRehash reports whether encoded was made with other parameters than
// p, so that a login can upgrade it.
func NeedsRehash(encoded string, p PasswordParams) bool {
	h, err := parseHash(encoded)
	return err != nil || h.params != p
}

type parsedHash struct {
	params PasswordParams
	salt   []byte
	key    []byte
}

// errBadHash is a stored hash this code cannot read.
var errBadHash = errors.New("malformed password hash")

func parseHash(encoded string) (parsedHash, error) {
	// "", "argon2id", "v=19", "m=..,t=..,p=..", salt, hash
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" {
		return parsedHash{}, fmt.Errorf("%w: not a PHC string", errBadHash)
	}
	if parts[1] != "argon2id" {
		return parsedHash{}, fmt.Errorf("%w: algorithm %q is not argon2id", errBadHash, parts[1])
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return parsedHash{}, fmt.Errorf("%w: version %q is not v=%d", errBadHash, parts[2], argon2.Version)
	}
	var h parsedHash
	seen := map[string]bool{}
	for _, kv := range strings.Split(parts[3], ",") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || seen[k] {
			return parsedHash{}, fmt.Errorf("%w: parameters %q", errBadHash, parts[3])
		}
		seen[k] = true
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return parsedHash{}, fmt.Errorf("%w: parameter %q", errBadHash, kv)
		}
		switch k {
		case "m":
			h.params.Memory = uint32(n)
		case "t":
			h.params.Time = uint32(n)
		case "p":
			if n > 255 {
				return parsedHash{}, fmt.Errorf("%w: parameter %q", errBadHash, kv)
			}
			h.params.Threads = uint8(n)
		default:
			return parsedHash{}, fmt.Errorf("%w: unknown parameter %q", errBadHash, k)
		}
	}
	if len(seen) != 3 {
		return parsedHash{}, fmt.Errorf("%w: parameters %q need m, t and p", errBadHash, parts[3])
	}
	if err := h.params.check(); err != nil {
		return parsedHash{}, fmt.Errorf("%w: %w", errBadHash, err)
	}
	b64 := base64.RawStdEncoding
	var err error
	if h.salt, err = b64.DecodeString(parts[4]); err != nil || len(h.salt) < 8 || len(h.salt) > maxHashLen {
		return parsedHash{}, fmt.Errorf("%w: salt", errBadHash)
	}
	if h.key, err = b64.DecodeString(parts[5]); err != nil || len(h.key) < 16 || len(h.key) > maxHashLen {
		return parsedHash{}, fmt.Errorf("%w: hash", errBadHash)
	}
	return h, nil
}

// alphabet62 is the characters of generated passwords and tokens: letters
// and digits only, so that a double-click selects the whole of one.
const alphabet62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// randomString returns n characters drawn uniformly from alphabet62.
func randomString(n int) (string, error) {
	out := make([]byte, 0, n)
	buf := make([]byte, n+n/4+8)
	for len(out) < n {
		if _, err := rand.Read(buf); err != nil {
			return "", fmt.Errorf("read random: %w", err)
		}
		for _, b := range buf {
			// 248 = 4*62: rejecting the rest keeps every character
			// equally likely.
			if b < 248 && len(out) < n {
				out = append(out, alphabet62[b%62])
			}
		}
	}
	return string(out), nil
}

// GeneratePassword returns a random 24-character password (about 142 bits),
// for accounts created from the command line.
func GeneratePassword() (string, error) {
	return randomString(24)
}
