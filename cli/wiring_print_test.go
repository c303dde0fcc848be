package cli

import (
	"context"
	"testing"
	"time"

	"posterm/config"
	"posterm/pos"
	"posterm/printer/printertest"
)

// TestRegisterPrinting_NeverPrintedWithoutConfirmation: the register's
// spooler prints a sale's receipt queued in the journal with the payment.
// On a network printer that accepts but never reads, the receipt is "sent
// — not confirmed", never printed;
// on one that answers, it is printed.
func TestRegisterPrinting_NeverPrintedWithoutConfirmation(t *testing.T) {
	for _, tc := range []struct {
		name  string
		stall bool
		want  pos.PrintState
	}{
		{"printer never reads", true, pos.PrintSent},
		{"printer answers", false, pos.PrintPrinted},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fp := printertest.NewTCPPrinter(t)
			if tc.stall {
				fp.StallAfter(0)
			}
			dir := t.TempDir()
			cfg := config.Demo(dir)
			cfg.Sandbox.TimeScale = 0.01
			cfg.Printer.Transport = "tcp:" + fp.Target.Addr
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			a, err := newApp(ctx, cfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { a.Close() })
			a.start()
			d, err := registerDeps(ctx, a)
			if err != nil {
				t.Fatal(err)
			}
			cashier, err := d.Checkout.Login(ctx, "cashier01", "1234")
			if err != nil {
				t.Fatal(err)
			}
			tx, err := d.Checkout.PayByCode(ctx, pos.PayInput{Cashier: cashier, Amount: 1200, Code: demoCodes[0].Code})
			if err != nil || tx.State != pos.StatePaid {
				t.Fatalf("pay: %s, %v", tx.State, err)
			}
			a.spooler.Wake()
			deadline := time.Now().Add(30 * time.Second)
			for {
				jobs, err := a.journal.Jobs(ctx, 0)
				if err != nil {
					t.Fatal(err)
				}
				if len(jobs) == 1 && jobs[0].State.Done() {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("the receipt was never sent: %+v", jobs)
				}
				time.Sleep(10 * time.Millisecond)
			}
			jobs, err := a.journal.Jobs(ctx, 0)
			if err != nil || len(jobs) != 1 || jobs[0].State != tc.want || jobs[0].Receipt == nil {
				t.Fatalf("jobs = %+v, %v; want one %s with its snapshot", jobs, err, tc.want)
			}
			if tc.stall && len(fp.Raw()) != 0 {
				t.Errorf("the printer read %d bytes", len(fp.Raw()))
			}
		})
	}
}
