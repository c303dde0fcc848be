// Package hub is the store hub: many tills, one store, on NATS JetStream.
//
// Tills publish their journal changes through the outbox (pos.OutboxPort,
// written by offline in the same SQL transaction as each change): a
// Forwarder reads the pending rows in order and publishes each on
// "posterm.events.<till>" with the event id (till identity + "-" + outbox
// seq) as the JetStream message id, so the stream drops a duplicate within
// its window; it marks the rows sent once JetStream acknowledged them, and
// retries across hub outages and restarts. A till never waits for the hub.
//
// The Hub runs an embedded NATS server with JetStream on disk (Config.Listen,
// Config.StoreDir) or connects to an existing NATS (Config.NATSURL with a
// credentials file and TLS), and consumes every till's events through one
// durable consumer into its own SQLite store, idempotently by event id (the
// second line of defence after the stream's window: an event republished
// days later by a till restored from a backup is still counted once). Its
// totals per till are pos.ComputeShift over the charges and refunds as the
// tills last reported them, so they equal `posterm shift` on each till.
//
// Besides charges and refunds, the outbox carries each till's settlement
// results, Z reports and printer/scanner status changes; the store keeps the
// last settlement and device status of every till and all Z reports, and
// the manager's page (Page) shows them per till (Store.News).
package hub
