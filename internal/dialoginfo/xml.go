package dialoginfo

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// The XML forms. Parsing and marshalling use different structs: on input
// every element must be in the dialog-info namespace (an element of another
// namespace is an extension, RFC 4235 §4.1: "##other" content, and is
// skipped); on output the root declares the namespace as the default and
// the children inherit it.

type xmlInfoIn struct {
	Version string        `xml:"version,attr"`
	State   string        `xml:"state,attr"`
	Entity  string        `xml:"entity,attr"`
	Dialogs []xmlDialogIn `xml:"urn:ietf:params:xml:ns:dialog-info dialog"`
}

type xmlDialogIn struct {
	ID        string            `xml:"id,attr"`
	CallID    string            `xml:"call-id,attr"`
	LocalTag  string            `xml:"local-tag,attr"`
	RemoteTag string            `xml:"remote-tag,attr"`
	Direction string            `xml:"direction,attr"`
	State     *xmlStateIn       `xml:"urn:ietf:params:xml:ns:dialog-info state"`
	Local     *xmlParticipantIn `xml:"urn:ietf:params:xml:ns:dialog-info local"`
	Remote    *xmlParticipantIn `xml:"urn:ietf:params:xml:ns:dialog-info remote"`
}

type xmlStateIn struct {
	Event string `xml:"event,attr"`
	Code  string `xml:"code,attr"`
	Value string `xml:",chardata"`
}

type xmlParticipantIn struct {
	Identity *xmlIdentity `xml:"urn:ietf:params:xml:ns:dialog-info identity"`
	Target   *xmlTarget   `xml:"urn:ietf:params:xml:ns:dialog-info target"`
}

type xmlIdentity struct {
	Display string `xml:"display,attr,omitempty"`
	URI     string `xml:",chardata"`
}

type xmlTarget struct {
	URI string `xml:"uri,attr"`
}

type xmlInfoOut struct {
	XMLName xml.Name       `xml:"urn:ietf:params:xml:ns:dialog-info dialog-info"`
	Version int            `xml:"version,attr"`
	State   string         `xml:"state,attr"`
	Entity  string         `xml:"entity,attr"`
	Dialogs []xmlDialogOut `xml:"dialog"`
}

// xmlDialogOut follows the schema's order: state, local, remote.
type xmlDialogOut struct {
	ID        string             `xml:"id,attr"`
	CallID    string             `xml:"call-id,attr,omitempty"`
	LocalTag  string             `xml:"local-tag,attr,omitempty"`
	RemoteTag string             `xml:"remote-tag,attr,omitempty"`
	Direction string             `xml:"direction,attr,omitempty"`
	State     xmlStateOut        `xml:"state"`
	Local     *xmlParticipantOut `xml:"local,omitempty"`
	Remote    *xmlParticipantOut `xml:"remote,omitempty"`
}

type xmlStateOut struct {
	Event string `xml:"event,attr,omitempty"`
	Code  int    `xml:"code,attr,omitempty"`
	Value string `xml:",chardata"`
}

type xmlParticipantOut struct {
	Identity *xmlIdentity `xml:"identity,omitempty"`
	Target   *xmlTarget   `xml:"target,omitempty"`
}

// Marshal encodes i as an application/dialog-info+xml document, UTF-8 with
// an XML declaration. It refuses an Info that Validate rejects.
func Marshal(i Info) ([]byte, error) {
	if err := i.Validate(); err != nil {
		return nil, err
	}
	out := xmlInfoOut{Version: i.Version, State: i.State, Entity: i.Entity}
	for _, d := range i.Dialogs {
		out.Dialogs = append(out.Dialogs, xmlDialogOut{
			ID:        d.ID,
			CallID:    d.CallID,
			LocalTag:  d.LocalTag,
			RemoteTag: d.RemoteTag,
			Direction: d.Direction,
			State:     xmlStateOut{Event: d.Event, Code: d.Code, Value: d.State},
			Local:     participantOut(d.LocalIdentity, d.LocalDisplay, d.LocalTarget),
			Remote:    participantOut(d.RemoteIdentity, d.RemoteDisplay, d.RemoteTarget),
		})
	}
	body, err := xml.MarshalIndent(out, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("dialoginfo: marshal: %w", err)
	}
	doc := make([]byte, 0, len(xml.Header)+len(body)+1)
	doc = append(doc, xml.Header...)
	doc = append(doc, body...)
	return append(doc, '\n'), nil
}

func participantOut(identity, display, target string) *xmlParticipantOut {
	var p xmlParticipantOut
	if identity != "" || display != "" {
		p.Identity = &xmlIdentity{Display: display, URI: identity}
	}
	if target != "" {
		p.Target = &xmlTarget{URI: target}
	}
	if p.Identity == nil && p.Target == nil {
		return nil
	}
	return &p
}

// Parse decodes an application/dialog-info+xml document. It accepts at most
// MaxDocumentSize bytes, a single root element <dialog-info> in the
// namespace urn:ietf:params:xml:ns:dialog-info, and values Validate accepts.
// Attribute and text values are trimmed of surrounding white space.
func Parse(data []byte) (Info, error) {
	if len(data) > MaxDocumentSize {
		return Info{}, fmt.Errorf("dialoginfo: document of %d bytes exceeds the limit of %d", len(data), MaxDocumentSize)
	}
	dec := xml.NewDecoder(bytes.NewReader(data))
	start, err := rootElement(dec)
	if err != nil {
		return Info{}, err
	}
	if start.Name.Local != "dialog-info" || start.Name.Space != Namespace {
		return Info{}, fmt.Errorf("dialoginfo: root element is %s, want <dialog-info> in namespace %s", describe(start.Name), Namespace)
	}
	var doc xmlInfoIn
	if err := dec.DecodeElement(&doc, &start); err != nil {
		return Info{}, fmt.Errorf("dialoginfo: malformed XML: %w", err)
	}
	if err := expectEnd(dec); err != nil {
		return Info{}, err
	}
	return doc.info()
}

// rootElement reads up to the first start element; only the XML
// declaration, comments, a DOCTYPE and white space may come before it.
func rootElement(dec *xml.Decoder) (xml.StartElement, error) {
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return xml.StartElement{}, errors.New("dialoginfo: empty document, no <dialog-info> element")
		}
		if err != nil {
			return xml.StartElement{}, fmt.Errorf("dialoginfo: malformed XML: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			return t, nil
		case xml.CharData:
			if len(bytes.TrimSpace(t)) > 0 {
				return xml.StartElement{}, errors.New("dialoginfo: text before the root element")
			}
		}
	}
}

// expectEnd checks that nothing but white space, comments and processing
// instructions follows the root element.
func expectEnd(dec *xml.Decoder) error {
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("dialoginfo: malformed XML after the root element: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			return fmt.Errorf("dialoginfo: second root element %s", describe(t.Name))
		case xml.CharData:
			if len(bytes.TrimSpace(t)) > 0 {
				return errors.New("dialoginfo: text after the root element")
			}
		case xml.Directive:
			return errors.New("dialoginfo: directive after the root element")
		}
	}
}

func describe(n xml.Name) string {
	if n.Space == "" {
		return "<" + n.Local + "> (no namespace)"
	}
	return fmt.Sprintf("<%s> in namespace %q", n.Local, n.Space)
}

func (doc xmlInfoIn) info() (Info, error) {
	if strings.TrimSpace(doc.Version) == "" {
		return Info{}, errors.New(`dialoginfo: <dialog-info> has no "version" attribute`)
	}
	version, err := parseNonNegative("version", doc.Version)
	if err != nil {
		return Info{}, err
	}
	info := Info{
		Version: version,
		State:   strings.TrimSpace(doc.State),
		Entity:  strings.TrimSpace(doc.Entity),
	}
	for n, xd := range doc.Dialogs {
		d := Dialog{
			ID:        strings.TrimSpace(xd.ID),
			CallID:    strings.TrimSpace(xd.CallID),
			LocalTag:  strings.TrimSpace(xd.LocalTag),
			RemoteTag: strings.TrimSpace(xd.RemoteTag),
			Direction: strings.TrimSpace(xd.Direction),
		}
		// RFC 4235 §4.1.2 and its schema: <state> is mandatory.
		if xd.State == nil {
			return Info{}, fmt.Errorf("dialoginfo: dialog %d (id %q) has no <state>", n+1, d.ID)
		}
		d.State = strings.TrimSpace(xd.State.Value)
		d.Event = strings.TrimSpace(xd.State.Event)
		if c := strings.TrimSpace(xd.State.Code); c != "" {
			if d.Code, err = parseNonNegative("state code", c); err != nil {
				return Info{}, err
			}
			if d.Code == 0 {
				return Info{}, errors.New("dialoginfo: state code 0 is not a SIP response code")
			}
		}
		d.LocalIdentity, d.LocalDisplay, d.LocalTarget = xd.Local.fields()
		d.RemoteIdentity, d.RemoteDisplay, d.RemoteTarget = xd.Remote.fields()
		info.Dialogs = append(info.Dialogs, d)
	}
	if err := info.Validate(); err != nil {
		return Info{}, err
	}
	return info, nil
}

func (p *xmlParticipantIn) fields() (identity, display, target string) {
	if p == nil {
		return "", "", ""
	}
	if p.Identity != nil {
		identity = strings.TrimSpace(p.Identity.URI)
		display = strings.TrimSpace(p.Identity.Display)
	}
	if p.Target != nil {
		target = strings.TrimSpace(p.Target.URI)
	}
	return identity, display, target
}
