// Package peers starts real SIP peers from Debian — SIPp, Kamailio, baresip
// and linphone — on loopback addresses for the tests of other packages, and
// stops them when the test ends.
//
// Every peer runs in its own process group inside a temporary directory of
// the test; t.Cleanup stops the group (SIGTERM, then SIGKILL after a short
// grace) so no process outlives its test. When a test fails, the cleanup logs
// the tail of the peer's own log files.
//
// Addresses: each peer listens on a loopback address only. Unless the test
// gives one, the peer gets its own address from LoopbackIP (127.100.0.1 to
// 127.199.255.254; Linux routes all of 127.0.0.0/8 to lo), so peers in tests
// that run in parallel, even in different test binaries, do not compete for
// ports.
//
// The binaries come from Debian packages (sip-tester, kamailio, baresip,
// linphone-cli);
// `make deps` installs them. When one is missing the test is skipped, except
// on CI (CI=true), where it fails: see Require.
//
// Recipes follow the field notes (/work/shared/design/field-notes.md, "Real
// SIP peers from Debian"): sipp 3.6.1, kamailio 5.6.3, baresip 1.0.0,
// linphone-cli 5.1.65.
//
// CaptureLoopback records the UDP datagrams on lo (a packet socket, as
// tcpdump -i lo), for tests that check where each SIP request went.
package peers
