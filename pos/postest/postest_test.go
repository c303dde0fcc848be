package postest_test

import (
	"testing"

	"posterm/pos"
	"posterm/pos/postest"
)

func TestMemJournalConformance(t *testing.T) {
	postest.TestJournal(t, func(t *testing.T) pos.Journal { return postest.NewJournal() })
}
