package fault

import (
	"errors"
	"fmt"
	"testing"
)

func TestInvalidListsFieldsInFormOrder(t *testing.T) {
	t.Parallel()
	e := &Invalid{What: "journey"}
	if e.Err() != nil {
		t.Fatalf("empty Invalid.Err() = %v, want nil", e.Err())
	}
	e.Add("steps[10].service", "is required")
	e.Add("steps[2].name", "is required")
	e.Add("steps[2].name", "second message is dropped")
	e.Add("metadata.slug", "must be lowercase")
	want := "metadata.slug: must be lowercase; steps[2].name: is required; steps[10].service: is required"
	if got := e.Error(); got != want {
		t.Fatalf("Error() = %q, want %q", got, want)
	}
	wrapped := fmt.Errorf("save journey: %w", e.Err())
	if !errors.Is(wrapped, ErrInvalid) || Kind(wrapped) != ErrInvalid {
		t.Fatalf("wrapped Invalid is not ErrInvalid: kind %v", Kind(wrapped))
	}
	var got *Invalid
	if !errors.As(wrapped, &got) || got.Fields["metadata.slug"] != "must be lowercase" {
		t.Fatalf("errors.As lost the fields: %+v", got)
	}
}

func TestKind(t *testing.T) {
	t.Parallel()
	journeyNotFound := fmt.Errorf("journey %w", ErrNotFound)
	for _, c := range []struct {
		err  error
		want error
	}{
		{fmt.Errorf("get journey: %w", journeyNotFound), ErrNotFound},
		{fmt.Errorf("save: %w", ErrConflict), ErrConflict},
		{fmt.Errorf("query: %w", ErrUnavailable), ErrUnavailable},
		{ErrForbidden, ErrForbidden},
		{errors.New("boom"), nil},
		{nil, nil},
	} {
		if got := Kind(c.err); got != c.want {
			t.Errorf("Kind(%v) = %v, want %v", c.err, got, c.want)
		}
	}
	if got := Invalidf("incident", "", "body is empty").Error(); got != "body is empty" {
		t.Errorf("whole-request message = %q", got)
	}
	if got := (&Invalid{What: "incident"}).Error(); got != "invalid incident" {
		t.Errorf("empty message = %q", got)
	}
}

func TestNewSentinelKeepsItsWordsAndKind(t *testing.T) {
	t.Parallel()
	own := New(ErrNotFound, "trace not found")
	err := fmt.Errorf("get trace abc: %w", own)
	if got, want := err.Error(), "get trace abc: trace not found"; got != want {
		t.Fatalf("Error() = %q, want %q", got, want)
	}
	if !errors.Is(err, own) || !errors.Is(err, ErrNotFound) {
		t.Fatalf("errors.Is(err, own) = %v, errors.Is(err, ErrNotFound) = %v, want both true", errors.Is(err, own), errors.Is(err, ErrNotFound))
	}
	if errors.Is(err, ErrConflict) || Kind(err) != ErrNotFound {
		t.Fatalf("Kind(err) = %v, want ErrNotFound only", Kind(err))
	}
	if errors.Is(New(ErrNotFound, "not found"), own) {
		t.Fatal("two sentinels of one kind and different identity match each other")
	}
}
