package peers

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"sync"
	"time"
)

// BaresipEvent is one event baresip's ctrl_tcp module reports, e.g.
// {"event":true,"type":"CALL_ESTABLISHED","class":"call",
// "accountaor":"sip:bob@127.0.0.1","direction":"incoming",
// "peeruri":"sip:alice@127.0.0.1","id":"…","param":"…"}.
type BaresipEvent struct {
	Type       string `json:"type"`  // REGISTER_OK, CALL_INCOMING, CALL_ESTABLISHED, CALL_CLOSED …
	Class      string `json:"class"` // register, call, other …
	AccountAOR string `json:"accountaor"`
	Direction  string `json:"direction"` // incoming, outgoing
	PeerURI    string `json:"peeruri"`
	ID         string `json:"id"`    // call id within baresip
	Param      string `json:"param"` // e.g. the reason of CALL_CLOSED
}

// ctrlMessage is any message from ctrl_tcp: an event or a command response.
type ctrlMessage struct {
	BaresipEvent
	Event    bool   `json:"event"`
	Response bool   `json:"response"`
	OK       bool   `json:"ok"`
	Data     string `json:"data"`
	Token    string `json:"token"`
}

// ctrlConn is one ctrl_tcp connection: commands go out with a token,
// responses are matched by token, and every event is kept in order.
type ctrlConn struct {
	conn       net.Conn
	readerDone chan struct{}

	mu        sync.Mutex
	changed   chan struct{} // closed and replaced on every new message
	events    []BaresipEvent
	cursor    map[string]int // per event type: index after the last one WaitEvent returned
	responses map[string]ctrlMessage
	readErr   error
	nextToken int
	writeMu   sync.Mutex
}

func dialCtrl(addr string, timeout time.Duration) (*ctrlConn, error) {
	deadline := time.Now().Add(timeout)
	var conn net.Conn
	var err error
	for {
		conn, err = net.DialTimeout("tcp4", addr, time.Second)
		if err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		return nil, err
	}
	c := &ctrlConn{
		conn:       conn,
		readerDone: make(chan struct{}),
		changed:    make(chan struct{}),
		cursor:     map[string]int{},
		responses:  map[string]ctrlMessage{},
	}
	go c.read()
	return c, nil
}

func (c *ctrlConn) read() {
	defer close(c.readerDone)
	r := bufio.NewReader(c.conn)
	for {
		b, err := readNetstring(r)
		var m ctrlMessage
		if err == nil {
			if jerr := json.Unmarshal(b, &m); jerr != nil {
				err = fmt.Errorf("ctrl_tcp sent invalid JSON %q: %w", b, jerr)
			}
		}
		c.mu.Lock()
		switch {
		case err != nil:
			c.readErr = err
		case m.Event:
			c.events = append(c.events, m.BaresipEvent)
		case m.Response:
			c.responses[m.Token] = m
		}
		close(c.changed)
		c.changed = make(chan struct{})
		c.mu.Unlock()
		if err != nil {
			return
		}
	}
}

func (c *ctrlConn) close() {
	c.conn.Close()
	<-c.readerDone
}

// command sends one command and waits for its response.
func (c *ctrlConn) command(cmd, params string, timeout time.Duration) (string, error) {
	c.mu.Lock()
	c.nextToken++
	token := "t" + strconv.Itoa(c.nextToken)
	c.mu.Unlock()
	body, err := json.Marshal(map[string]string{"command": cmd, "params": params, "token": token})
	if err != nil {
		return "", err
	}
	c.writeMu.Lock()
	_ = c.conn.SetWriteDeadline(time.Now().Add(timeout))
	_, err = c.conn.Write(appendNetstring(nil, body))
	c.writeMu.Unlock()
	if err != nil {
		return "", fmt.Errorf("baresip command %q: %w", cmd, err)
	}
	var resp ctrlMessage
	err = c.waitFor(timeout, func() bool {
		var ok bool
		resp, ok = c.responses[token]
		delete(c.responses, token)
		return ok
	})
	if err != nil {
		return "", fmt.Errorf("baresip command %q: %w", cmd, err)
	}
	if !resp.OK {
		return resp.Data, fmt.Errorf("baresip command %q %q failed: %s", cmd, params, resp.Data)
	}
	return resp.Data, nil
}

// waitFor calls cond under the lock each time a message arrives, until it
// returns true, the connection fails, or timeout passes.
func (c *ctrlConn) waitFor(timeout time.Duration, cond func() bool) error {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		c.mu.Lock()
		if cond() {
			c.mu.Unlock()
			return nil
		}
		if c.readErr != nil {
			err := c.readErr
			c.mu.Unlock()
			return fmt.Errorf("ctrl_tcp connection: %w", err)
		}
		changed := c.changed
		c.mu.Unlock()
		select {
		case <-changed:
		case <-timer.C:
			return errors.New("timed out after " + timeout.String())
		}
	}
}

// waitEvent returns the next event whose type is one of types, after the
// last event waitEvent returned for the first of those types.
func (c *ctrlConn) waitEvent(timeout time.Duration, types ...string) (BaresipEvent, error) {
	var ev BaresipEvent
	err := c.waitFor(timeout, func() bool {
		for i := c.cursor[types[0]]; i < len(c.events); i++ {
			if slices.Contains(types, c.events[i].Type) {
				ev = c.events[i]
				c.cursor[types[0]] = i + 1
				return true
			}
		}
		return false
	})
	if err != nil {
		return ev, fmt.Errorf("waiting for baresip event %v: %w (events so far: %s)", types, err, c.eventSummary())
	}
	return ev, nil
}

func (c *ctrlConn) eventSummary() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var s []string
	for _, e := range c.events {
		s = append(s, e.Type)
	}
	return fmt.Sprint(s)
}

func (c *ctrlConn) snapshot() []BaresipEvent {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.events)
}
