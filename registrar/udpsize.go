package registrar

import "github.com/emiago/sipgo/sip"

// maxUDPDatagram is the largest UDP payload IPv4 carries (65,535 less the
// 20-byte IP and 8-byte UDP headers).
const maxUDPDatagram = 65507

// sipgo refuses to send a UDP message longer than sip.UDPMTUSize-200 (1,300
// bytes by default, after RFC 3261 §18.1.1) and does not switch to TCP, so
// the registrar logged "respond failed status=407 ... larger than MTU" for
// RFC 4475's 3.5 KB longreq.dat and never answered. phonesim's registrar
// serves loopback (MTU 65,536) and LANs, where IP fragments a larger
// datagram: the limit is what a UDP datagram holds, and sipgo's read buffer
// (32 KB) matches it (docs/robustness.md). emulator/sipua sets the same.
func init() {
	sip.UDPMTUSize = maxUDPDatagram + 200
	sip.TransportBufferReadSize = 65535
}
