// Package convert turns public datasets into the input contract, so that
// the job and its tests run on real histories:
//
//   - CDNOW reads Fader, Hardie & Lee's CDNOW purchase logs (the 1/10 sample
//     or the master file) into customers/ and orders/;
//   - OnlineRetail reads the UCI Online Retail invoice lines (CSV, already
//     decompressed) into customers/ and orders/, one order per invoice.
//
// Each writes outDir/customers/part-00000.parquet and
// outDir/orders/part-00000.parquet with data.NewTableWriter, customers
// sorted by id and orders by time (then by input order), so the same input
// gives the same bytes. Timestamps are UTC. Malformed lines stop the
// conversion with the line number; rows the contract cannot hold (no
// customer id) are dropped and counted in Stats.Dropped by reason.
package convert
