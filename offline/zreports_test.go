package offline

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"posterm/pos"
	"posterm/pos/postest"
)

// TestZ_CloseShift: a shift does not close while a payment's outcome is
// unknown (the error names it); once settled it closes as Z 1 with the
// totals by cashier, cash counted against expected and the waiting QR
// carried over; the next closes as Z 2 from Z 1's end, after a reopen; a
// second close of the same number is refused; Z reports never change.
func TestZ_CloseShift(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j.db")
	j := openAt(t, path, Options{})
	ctx := context.Background()
	at := postest.T0
	payTx(t, j, "Z1")
	cash := sampleTx("ZCASH")
	cash.Kind, cash.Cashier, cash.Amount, cash.State, cash.Tendered = pos.KindCash, "c2", 5000, pos.StatePaid, 10000
	if err := j.CreateTransaction(ctx, cash, pos.Event{Op: "cash"}); err != nil {
		t.Fatal(err)
	}
	unknown := sampleTx("ZUNK")
	if err := j.CreateTransaction(ctx, unknown, pos.Event{Op: "create"}); err != nil {
		t.Fatal(err)
	}
	if _, err := j.Transition(ctx, pos.Change{ChargeCode: "ZUNK", From: pos.StateSending, To: pos.StateUnknown, At: at}); err != nil {
		t.Fatal(err)
	}
	qr := sampleTx("ZQR")
	qr.Kind = pos.KindPrecreate
	if err := j.CreateTransaction(ctx, qr, pos.Event{Op: "create"}); err != nil {
		t.Fatal(err)
	}
	if _, err := j.Transition(ctx, pos.Change{ChargeCode: "ZQR", From: pos.StateSending, To: pos.StatePending, At: at}); err != nil {
		t.Fatal(err)
	}

	end := at.Add(time.Hour)
	_, err := pos.CloseShift(ctx, j, j, "R1", "m1", 5100, end)
	if !errors.Is(err, pos.ErrShiftBusy) || !strings.Contains(err.Error(), "ZUNK") {
		t.Fatalf("close with an unknown payment: %v, want ErrShiftBusy naming ZUNK", err)
	}
	if _, err := j.Transition(ctx, pos.Change{ChargeCode: "ZUNK", From: pos.StateUnknown, To: pos.StatePaid, At: at}); err != nil {
		t.Fatal(err)
	}
	z, err := pos.CloseShift(ctx, j, j, "R1", "m1", 5100, end)
	if err != nil {
		t.Fatal(err)
	}
	if z.Number != 1 || !z.Since.IsZero() || z.CashExpected != 5000 || z.CashCounted != 5100 || z.Difference != 100 ||
		z.ByCashier["c1"].Count != 2 || z.ByCashier["c2"].Amount != 5000 || len(z.CarriedOver) != 1 || z.CarriedOver[0] != "ZQR" ||
		z.Totals.Total.Sales.Count != 3 {
		t.Fatalf("Z 1 = %+v", z)
	}
	job := &pos.PrintJob{Kind: pos.ReceiptShift, Data: []byte("Z1\n")}
	if err := j.CloseZ(ctx, z, job); err != nil {
		t.Fatal(err)
	}
	if err := j.CloseZ(ctx, z, nil); !errors.Is(err, pos.ErrStale) {
		t.Fatalf("closing Z 1 twice: %v, want ErrStale", err)
	}
	j.Close()
	j = openAt(t, path, Options{})
	if jobs, _ := j.Pending(ctx); len(jobs) != 2 || jobs[0].Kind != pos.ReceiptSale || jobs[1].Kind != pos.ReceiptShift {
		t.Fatalf("the Z's print job: %+v", jobs)
	}
	z2, err := pos.CloseShift(ctx, j, j, "R1", "m1", 0, end.Add(time.Hour))
	if err != nil || z2.Number != 2 || !z2.Since.Equal(end) || z2.Totals.Total.Sales.Count != 0 {
		t.Fatalf("Z 2 = %+v, %v", z2, err)
	}
	if err := j.CloseZ(ctx, z2, nil); err != nil {
		t.Fatal(err)
	}
	if got, err := j.GetZ(ctx, "R1", 1); err != nil || got.Number != 1 || got.Difference != 100 {
		t.Fatalf("GetZ 1 = %+v, %v", got, err)
	}
	if _, err := j.GetZ(ctx, "R2", 1); !errors.Is(err, pos.ErrNotFound) {
		t.Fatalf("another till's Z: %v", err)
	}
	if _, err := j.db.ExecContext(ctx, "UPDATE z_reports SET closed_by = 'x'"); err == nil {
		t.Fatal("a Z report changed")
	}
}
