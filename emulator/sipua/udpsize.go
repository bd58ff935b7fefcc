package sipua

import "github.com/emiago/sipgo/sip"

// maxUDPDatagram is the largest UDP payload IPv4 carries (65,535 less the
// 20-byte IP and 8-byte UDP headers).
const maxUDPDatagram = 65507

// sipgo refuses to send a UDP message longer than sip.UDPMTUSize-200 (1,300
// bytes by default: RFC 3261 §18.1.1, "if a request is within 200 bytes of
// the path MTU, or if it is larger than 1300 bytes and the path MTU is
// unknown, the request MUST be sent using an RFC 2914 congestion controlled
// transport protocol, such as TCP"). sipgo applies it to responses too, and
// does not switch to TCP, so a 180 to RFC 4475's 3.5 KB longreq.dat was
// never sent and the call was logged as missed. phonesim runs on loopback
// (MTU 65,536) and LANs, where IP fragments a larger datagram; the limit is
// raised to what a UDP datagram holds, and sipgo's read buffer (32 KB) to
// match, so the phone answers any message it can receive (docs/robustness.md).
func init() {
	sip.UDPMTUSize = maxUDPDatagram + 200
	sip.TransportBufferReadSize = 65535
}
