package sipua_test

// Pieces of the SIPp callee scenarios of these tests (SIPp 3.6 XML).

// sippAnswers starts a callee scenario: it takes the INVITE, remembers
// the caller's From (the To of its own requests) and Contact (their
// Request-URI), answers 200 with the SDP media line mLine (and its rtpmap
// lines) under SIPp's origin "sipp 53655765 1", and takes the ACK.
func sippAnswers(name, mLine string) string {
	return `<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="` + name + `">
  <recv request="INVITE" crlf="true">
    <action>
      <ereg regexp=".*" search_in="hdr" header="From:" assign_to="caller"/>
      <ereg regexp="sip:[^&gt;]*" search_in="hdr" header="Contact:" assign_to="contact"/>
    </action>
  </recv>
  <send retrans="500"><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:[service]@[local_ip]:[local_port];transport=[transport]>
Content-Type: application/sdp
Content-Length: [len]

v=0
o=sipp 53655765 1 IN IP[local_ip_type] [local_ip]
s=-
c=IN IP[media_ip_type] [media_ip]
t=0 0
` + mLine + `
]]></send>
  <recv request="ACK" crlf="true"/>
`
}

// sippTakesBye ends a callee scenario: the caller's BYE gets 200, and
// SIPp lingers a moment for its retransmissions.
const sippTakesBye = `  <recv request="BYE"/>
  <send><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0
]]></send>
  <pause milliseconds="200"/>
</scenario>
`
