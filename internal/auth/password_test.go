package auth

import (
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestHashPasswordRoundTrip(t *testing.T) {
	t.Parallel()
	h1, err := HashPassword("correct horse battery", DefaultPasswordParams)
	require.NoError(t, err)
	h2, err := HashPassword("correct horse battery", DefaultPasswordParams)
	require.NoError(t, err)

	// 16-byte salt and 32-byte hash in unpadded base64.
	require.Regexp(t, regexp.MustCompile(`^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`), h1)
	require.NotEqual(t, h1, h2, "every hash has its own salt")

	for _, tt := range []struct {
		password string
		want     bool
	}{
		{"correct horse battery", true},
		{"correct horse batterY", false},
		{"correct horse battery ", false},
		{"", false},
	} {
		ok, err := VerifyPassword(tt.password, h1)
		require.NoError(t, err)
		require.Equal(t, tt.want, ok, tt.password)
	}
	require.False(t, NeedsRehash(h1, DefaultPasswordParams))
	require.True(t, NeedsRehash(h1, PasswordParams{Memory: 65536, Time: 3, Threads: 4}))
	require.True(t, NeedsRehash("garbage", DefaultPasswordParams))
}

// TestVerifyReferenceVectors checks hashes made by the reference C
// implementation (libargon2's argon2id_hash_encoded), so that stored hashes
// are portable both ways.
func TestVerifyReferenceVectors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		password, encoded string
	}{
		{"correct horse battery staple", "$argon2id$v=19$m=19456,t=2,p=1$d2F5bWFyay1zYWx0LTAxNg$afPes0ueIkcicweBXJVrPQDie6zRuqN0Z4BFrGHrJt8"},
		{"password", "$argon2id$v=19$m=64,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$55PWTvddWPUD1GMbKxSff4ASfF85k9ibHJt4HlHQtBM"},
		{"pässwörd-✓-long", "$argon2id$v=19$m=256,t=3,p=2$MDEyMzQ1Njc4OWFiY2RlZg$XPMBv2yv6hrQu6e5IsCNSOLG1KSfHW1vi8N7ZsynJ4Y"},
	}
	for _, tt := range tests {
		ok, err := VerifyPassword(tt.password, tt.encoded)
		require.NoError(t, err)
		require.True(t, ok, tt.password)
		ok, err = VerifyPassword(tt.password+"x", tt.encoded)
		require.NoError(t, err)
		require.False(t, ok)
	}
}

func TestVerifyMalformedHash(t *testing.T) {
	t.Parallel()
	const salt, key = "c29tZXNhbHRzb21lc2FsdA", "55PWTvddWPUD1GMbKxSff4ASfF85k9ibHJt4HlHQtBM"
	tests := []struct {
		name, encoded, want string
	}{
		{"empty", "", "malformed password hash: not a PHC string"},
		{"bcrypt", "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy", "malformed password hash: not a PHC string"},
		{"argon2i", "$argon2i$v=19$m=64,t=1,p=1$" + salt + "$" + key, `malformed password hash: algorithm "argon2i" is not argon2id`},
		{"old version", "$argon2id$v=16$m=64,t=1,p=1$" + salt + "$" + key, `malformed password hash: version "v=16" is not v=19`},
		{"missing p", "$argon2id$v=19$m=64,t=1$" + salt + "$" + key, `malformed password hash: parameters "m=64,t=1" need m, t and p`},
		{"repeated m", "$argon2id$v=19$m=64,m=64,p=1$" + salt + "$" + key, `malformed password hash: parameters "m=64,m=64,p=1"`},
		{"unknown param", "$argon2id$v=19$m=64,t=1,x=1$" + salt + "$" + key, `malformed password hash: unknown parameter "x"`},
		{"negative", "$argon2id$v=19$m=-64,t=1,p=1$" + salt + "$" + key, `malformed password hash: parameter "m=-64"`},
		{"huge memory", "$argon2id$v=19$m=4294967295,t=1,p=1$" + salt + "$" + key, "malformed password hash: memory 4294967295 KiB is out of range"},
		{"huge time", "$argon2id$v=19$m=64,t=1000,p=1$" + salt + "$" + key, "malformed password hash: time 1000 is out of range 1..64"},
		{"zero threads", "$argon2id$v=19$m=64,t=1,p=0$" + salt + "$" + key, "malformed password hash: threads must be at least 1"},
		{"threads over 255", "$argon2id$v=19$m=64,t=1,p=256$" + salt + "$" + key, `malformed password hash: parameter "p=256"`},
		{"bad salt", "$argon2id$v=19$m=64,t=1,p=1$!!!$" + key, "malformed password hash: salt"},
		{"short salt", "$argon2id$v=19$m=64,t=1,p=1$YWJj$" + key, "malformed password hash: salt"},
		{"short key", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$YWJj", "malformed password hash: hash"},
		{"padded key", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + key + "=", "malformed password hash: hash"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ok, err := VerifyPassword("password", tt.encoded)
			require.False(t, ok)
			require.EqualError(t, err, tt.want)
			require.True(t, errors.Is(err, errBadHash))
		})
	}
}

func FuzzVerifyPassword(f *testing.F) {
	f.Add("password", "$argon2id$v=19$m=64,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$55PWTvddWPUD1GMbKxSff4ASfF85k9ibHJt4HlHQtBM")
	f.Add("x", "$argon2id$v=19$m=8,t=1,p=1$c29tZXNhbHQ$c29tZXNhbHRzb21lc2FsdA")
	f.Add("x", "$argon2id$v=19$m=,t=,p=$$")
	f.Add("", "$$$$$")
	f.Fuzz(func(t *testing.T, password, encoded string) {
		h, err := parseHash(encoded)
		if err != nil {
			require.ErrorIs(t, err, errBadHash)
			return
		}
		// Whatever parses is within the bounds that keep one check cheap
		// enough to fuzz; skip the costly ones.
		require.LessOrEqual(t, h.params.Memory, uint32(maxMemory))
		require.LessOrEqual(t, h.params.Time, uint32(maxTime))
		if h.params.Memory > 1024 || h.params.Time > 4 {
			return
		}
		_, err = VerifyPassword(password, encoded)
		require.NoError(t, err)
	})
}

func TestCheckPassword(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, password, want string
	}{
		{"eleven", "abcdefghijk", "password: must be at least 12 characters"},
		{"twelve", "abcdefghijkl", ""},
		{"eleven runes in 22 bytes", strings.Repeat("é", 11), "password: must be at least 12 characters"},
		{"twelve runes", strings.Repeat("é", 12), ""},
		{"longest", strings.Repeat("a", MaxPasswordLength), ""},
		{"too long", strings.Repeat("a", MaxPasswordLength+1), "password: must be at most 512 characters"},
		{"not utf-8", "abcdefghijkl\xff", "password: must be valid UTF-8"},
	}
	for _, tt := range tests {
		err := CheckPassword(tt.password)
		if tt.want == "" {
			require.NoError(t, err, tt.name)
			continue
		}
		require.EqualError(t, err, tt.want, tt.name)
		require.ErrorIs(t, err, ErrInvalid)
	}
}

func TestGeneratePassword(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for range 50 {
		pw, err := GeneratePassword()
		require.NoError(t, err)
		require.Regexp(t, `^[0-9A-Za-z]{24}$`, pw)
		require.NoError(t, CheckPassword(pw))
		require.False(t, seen[pw])
		seen[pw] = true
	}
}

func TestNewRejectsBadPasswordParams(t *testing.T) {
	t.Parallel()
	_, err := New(nil, Options{Password: PasswordParams{Memory: 64, Time: 0, Threads: 1}})
	require.EqualError(t, err, "password params: time 0 is out of range 1..64")
}
