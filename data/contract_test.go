package data

import "testing"

// TestTableList holds the list of tables to what every reader and writer
// of the package assumes of an entry.
func TestTableList(t *testing.T) {
	if len(Tables) != NumTables || len(Contract) != NumTables {
		t.Fatalf("%d tables, %d contract entries, NumTables %d", len(Tables), len(Contract), NumTables)
	}
	for i, table := range Tables {
		if got := table.Index(); got != i {
			t.Errorf("%s.Index() = %d, want %d", table, got, i)
		}
		spec := table.spec()
		if c := spec.columns[0]; c != (Column{"customer_id", String, true}) {
			t.Errorf("%s: first column %+v, want the required string customer_id", table, c)
		}
		r := tableRules[i]
		if c := spec.columns[r.ts]; c.Name != spec.time || c.Kind != Timestamp || !c.Required {
			t.Errorf("%s: main timestamp %+v, want the required timestamp %s", table, c, spec.time)
		}
		for _, x := range r.reject {
			if k := spec.columns[x.col].Kind; k == String || k == Timestamp {
				t.Errorf("%s: reject rule %s on %s column %s", table, x.reason, k, spec.columns[x.col].Name)
			}
		}
		if spec.rows == nil {
			t.Errorf("%s: no row codec", table)
		}
	}
	if Table("nope").Index() != -1 || Table("nope").spec() != nil {
		t.Error(`Table("nope") has an index`)
	}
	check := func(table Table, got *tableSpec, err error) {
		t.Helper()
		if err != nil || got.name != table {
			t.Errorf("row type of %s: got %v, %v", table, got, err)
		}
	}
	s, _, err := specOf[Customer]()
	check(Customers, s, err)
	s, _, err = specOf[Session]()
	check(Sessions, s, err)
	s, _, err = specOf[Event]()
	check(Events, s, err)
	s, _, err = specOf[Ticket]()
	check(Tickets, s, err)
	s, _, err = specOf[Survey]()
	check(Surveys, s, err)
	s, _, err = specOf[Order]()
	check(Orders, s, err)
}
