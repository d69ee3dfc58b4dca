package spanstore_test

import (
	"context"
	"fmt"
	"net/http/httptest"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/waymarkhq/waymark/internal/spanstore"
)

// A receiver mounted in a test server: exporters send to srv.URL +
// spanstore.TracesPath, and each 200 means the spans are committed.
func Example_httptest() {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, "postgres://postgres@127.0.0.1:5432/waymark")
	if err != nil {
		panic(err)
	}
	store := spanstore.NewStore(pool, nil)
	rcv := spanstore.NewReceiver(store, spanstore.Config{}, nil)
	go func() { _ = rcv.Run(ctx) }()
	defer rcv.Close() // after srv.Close: drains what is queued

	srv := httptest.NewServer(rcv)
	defer srv.Close()
	fmt.Println("export to", srv.URL+spanstore.TracesPath)
}
