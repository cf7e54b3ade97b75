package pgtest_test

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/seed-c7c8f39b/loader/internal/pgtest"
)

func TestServer(t *testing.T) {
	srv := pgtest.Start(t, "fsync=off")
	ctx := context.Background()
	db := srv.CreateDB(t)
	conn := srv.Conn(t, db)
	var got string
	if err := conn.QueryRow(ctx, "SELECT current_database()").Scan(&got); err != nil || got != db {
		t.Fatalf("current_database() = %q, %v; want %q", got, err, db)
	}

	wrong := strings.Replace(srv.URL(db), "@127.0.0.1", "x@127.0.0.1", 1)
	if c, err := pgx.Connect(ctx, wrong); err == nil {
		c.Close(ctx)
		t.Fatal("a wrong password was accepted: the server must require one")
	}

	srv.Kill(t)
	if c, err := pgx.Connect(ctx, srv.URL(db)); err == nil {
		c.Close(ctx)
		t.Fatal("connected to a killed server")
	}
	srv.Restart(t)
	again := srv.Conn(t, db)
	if err := again.Ping(ctx); err != nil {
		t.Fatalf("after restart: %v", err)
	}
}
