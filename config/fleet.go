package config

import (
	"fmt"
	"math/big"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// FleetBlock generates Count phones from one template (the fleet: list of
// a file). Phone i (0-based) of a block takes the i-th address after IP,
// the i-th extension after User and the i-th MAC after MAC; "$user" in
// Name, Password, DisplayName and the Action URLs is that phone's
// extension.
//
//	fleet:
//	  - count: 1000
//	    ip: 127.0.1.1
//	    sip_port: 5060
//	    http_port: 8080
//	    user: 2000
//	    password: "pw$user"
//	    server: 127.0.0.1:5060
type FleetBlock struct {
	// Count is how many phones the block generates (1 to MaxFleetBlock).
	Count int `yaml:"count"`
	// Name is the phones' name template (default "$user").
	Name string `yaml:"name,omitempty"`
	// IP is the first phone's address.
	IP       string `yaml:"ip"`
	SIPPort  int    `yaml:"sip_port"`
	HTTPPort int    `yaml:"http_port"`
	// User is the first phone's extension, a decimal number; leading
	// zeros keep their width ("0100", "0101", ...).
	User        string `yaml:"user"`
	Password    string `yaml:"password,omitempty"`
	DisplayName string `yaml:"display_name,omitempty"`
	// MAC is the first phone's MAC; when empty each phone gets the one
	// derived from its place in the whole fleet (DefaultMAC).
	MAC string `yaml:"mac,omitempty"`
	// Server is host:port of the registrar or proxy every phone uses.
	Server    string `yaml:"server"`
	Expires   int    `yaml:"expires,omitempty"`
	Transport string `yaml:"transport,omitempty"`
	// AutoAnswer, when set, answers an incoming call after this delay
	// (0s: at once), as a desk phone's "auto answer" with its timer does.
	AutoAnswer *time.Duration `yaml:"auto_answer,omitempty"`
	RTPPorts   string         `yaml:"rtp_ports,omitempty"`
	Model      string         `yaml:"model,omitempty"`
	Firmware   string         `yaml:"firmware,omitempty"`
	Admin      Admin          `yaml:"admin,omitempty"`
	Media      Media          `yaml:"media,omitempty"`
	ActionURL  ActionURLs     `yaml:"action_url,omitempty"`
}

// Accounts generates registrar accounts as a fleet block does: Count
// users from User up, each with Password ("$user" is the user).
type Accounts struct {
	Count    int    `yaml:"count"`
	User     string `yaml:"user"`
	Password string `yaml:"password"`
}

// Origin says where a phone of a parsed File came from.
type Origin struct {
	// Block is 1 + the index of its fleet block, 0 for a phone listed
	// under phones:.
	Block int
	// Index is the phone's place in its block (0-based), Count the size
	// of the block.
	Index, Count int
}

// MaxFleetBlock is the most phones (or accounts) one file's blocks may
// generate, all blocks together: YAML aliases could otherwise make a
// small file stand for millions of phones.
const MaxFleetBlock = 100_000

// expandFleet checks the fleet blocks and registrar accounts and, for each
// block without errors, appends its phones to f.Phones; with the embedded
// registrar, each generated account not already in registrar.users is
// added to it. It empties f.Fleet and f.Registrar.Accounts, so a File is
// expanded once.
func (v *validator) expandFleet(f *File) {
	total := 0 // generated so far
	if r := f.Registrar; r != nil {
		for b := range r.Accounts {
			a := &r.Accounts[b]
			path := indexPath("registrar.accounts", b)
			ok := v.blockCount(path, a.Count, &total)
			ok = v.blockUser(path, a.User, a.Count) && ok
			if a.Password == "" {
				v.s.field(path+".password", "missing (required)")
				ok = false
			}
			if !ok {
				continue
			}
			for i := range a.Count {
				user := addUser(a.User, i)
				r.addUser(user, strings.ReplaceAll(a.Password, "$user", user))
			}
		}
		r.Accounts = nil
	}
	for b := range f.Fleet {
		blk := &f.Fleet[b]
		path := indexPath("fleet", b)
		if !v.checkBlock(path, blk, &total) {
			continue
		}
		if f.Registrar != nil && blk.Password == "" {
			v.s.field(path+".password", "missing: the embedded registrar needs one for each account (e.g. \"pw$user\")")
			continue
		}
		first, _ := netip.ParseAddr(blk.IP)
		mac := ""
		if blk.MAC != "" {
			mac, _ = normaliseMAC(blk.MAC)
		}
		for i := range blk.Count {
			p := blk.phone(first.Unmap(), mac, i)
			p.Origin = Origin{Block: b + 1, Index: i, Count: blk.Count}
			f.Phones = append(f.Phones, p)
			if f.Registrar != nil {
				f.Registrar.addUser(p.Lines[0].User, p.Lines[0].Password)
			}
		}
	}
	f.Fleet = nil
}

// addUser adds an account unless the file lists it already.
func (r *Registrar) addUser(user, password string) {
	if _, listed := r.Users[user]; listed {
		return
	}
	if r.Users == nil {
		r.Users = map[string]string{}
	}
	r.Users[user] = password
}

// phone is phone i of the block.
func (blk *FleetBlock) phone(first netip.Addr, mac string, i int) Phone {
	user := addUser(blk.User, i)
	sub := func(s string) string { return strings.ReplaceAll(s, "$user", user) }
	name := blk.Name
	if name == "" {
		name = "$user"
	}
	p := Phone{
		Name:     sub(name),
		IP:       addAddr(first, i).String(),
		SIPPort:  blk.SIPPort,
		HTTPPort: blk.HTTPPort,
		RTPPorts: blk.RTPPorts,
		Model:    blk.Model,
		Firmware: blk.Firmware,
		Admin:    blk.Admin,
		Media:    blk.Media,
		Lines: []Line{{
			User:        user,
			Password:    sub(blk.Password),
			Server:      blk.Server,
			DisplayName: sub(blk.DisplayName),
			Expires:     blk.Expires,
			Transport:   blk.Transport,
		}},
	}
	if mac != "" {
		p.MAC = addMAC(mac, i)
	}
	if blk.AutoAnswer != nil {
		p.Lines[0].AutoAnswer = true
		p.Lines[0].AutoAnswerDelay = *blk.AutoAnswer
	}
	if len(blk.ActionURL) > 0 {
		p.ActionURL = make(ActionURLs, len(blk.ActionURL))
		for ev, u := range blk.ActionURL {
			p.ActionURL[ev] = sub(u)
		}
	}
	return p
}

// checkBlock checks what only a block has: its count and the ranges of
// addresses, extensions and MACs it spans. The rest (ports, server,
// URLs, collisions) is checked on each generated phone.
func (v *validator) checkBlock(path string, blk *FleetBlock, total *int) bool {
	s := v.s
	ok := v.blockCount(path, blk.Count, total)
	switch addr, err := netip.ParseAddr(blk.IP); {
	case blk.IP == "":
		s.field(path+".ip", "missing: give the first phone's address")
		ok = false
	case err != nil:
		s.field(path+".ip", "%q is not an IP address", blk.IP)
		ok = false
	case addr.IsUnspecified() || addr.IsMulticast():
		s.field(path+".ip", "%s cannot be a phone's address (give the one it is reached at)", blk.IP)
		ok = false
	case ok:
		last := addAddr(addr.Unmap(), blk.Count-1)
		if !last.IsValid() || last.IsMulticast() || last.Is4() && last == netip.AddrFrom4([4]byte{255, 255, 255, 255}) {
			s.field(path+".ip", "%d phones from %s run past the end of the address space", blk.Count, blk.IP)
			ok = false
		}
	}
	ok = v.blockUser(path, blk.User, blk.Count) && ok
	if blk.MAC != "" {
		mac, valid := normaliseMAC(blk.MAC)
		switch {
		case !valid:
			s.field(path+".mac", "%q is not a MAC address (00:a8:59:00:10:01 or 00a859001001)", blk.MAC)
			ok = false
		case blk.Count > 0 && addMAC(mac, blk.Count-1) == "":
			s.field(path+".mac", "%d phones from %s run past ff:ff:ff:ff:ff:ff", blk.Count, mac)
			ok = false
		}
	}
	if d := blk.AutoAnswer; d != nil && (*d < 0 || *d > 10*time.Minute) {
		s.field(path+".auto_answer", "%v is out of range (0s to 10m)", *d)
		ok = false
	}
	return ok
}

func (v *validator) blockCount(path string, count int, total *int) bool {
	switch {
	case count < 1 || count > MaxFleetBlock:
		v.s.field(path+".count", "%d is out of range (1 to %d)", count, MaxFleetBlock)
	case *total+count > MaxFleetBlock:
		v.s.field(path+".count", "the blocks of this file make more than %d phones or accounts (split the fleet over files)", MaxFleetBlock)
	default:
		*total += count
		return true
	}
	return false
}

// blockUser checks a first extension: a decimal number.
func (v *validator) blockUser(path, user string, count int) bool {
	switch {
	case user == "":
		v.s.field(path+".user", "missing: give the first extension (e.g. 2000)")
	case strings.Trim(user, "0123456789") != "" || len(user) > 18:
		v.s.field(path+".user", "%q is not an extension number (phone i gets this number + i)", user)
	default:
		return true
	}
	return false
}

// addUser is extension user + i, zero-padded to user's width.
func addUser(user string, i int) string {
	n, _ := strconv.ParseUint(user, 10, 64)
	return fmt.Sprintf("%0*d", len(user), n+uint64(i))
}

// addAddr is a + i; the zero Addr when that overflows a's family.
func addAddr(a netip.Addr, i int) netip.Addr {
	b := a.AsSlice()
	n := new(big.Int).SetBytes(b)
	n.Add(n, big.NewInt(int64(i)))
	if n.BitLen() > len(b)*8 {
		return netip.Addr{}
	}
	out := n.FillBytes(make([]byte, len(b)))
	r, _ := netip.AddrFromSlice(out)
	return r
}

// addMAC is normalised MAC mac + i; "" when that passes ff:ff:ff:ff:ff:ff.
func addMAC(mac string, i int) string {
	n, err := strconv.ParseUint(strings.ReplaceAll(mac, ":", ""), 16, 64)
	if err != nil {
		return ""
	}
	n += uint64(i)
	if n >= 1<<48 {
		return ""
	}
	hex := fmt.Sprintf("%012x", n)
	var b strings.Builder
	for j := 0; j < 12; j += 2 {
		if j > 0 {
			b.WriteByte(':')
		}
		b.WriteString(hex[j : j+2])
	}
	return b.String()
}

// fleetPath is where a generated phone's field is set in the file:
// "fleet[0].phone[5].lines[0].user" is set by "fleet[0].user".
func fleetPath(path string) string {
	if !strings.HasPrefix(path, "fleet[") {
		return path
	}
	i := strings.Index(path, ".phone[")
	if i < 0 {
		return path
	}
	j := strings.IndexByte(path[i+1:], ']')
	if j < 0 {
		return path
	}
	rest := path[i+1+j+1:]
	rest = strings.TrimPrefix(rest, ".lines[0]")
	return path[:i] + rest
}

// ShardOf is the part of f that shard k of n runs (--shard K/N, 1 <= k <=
// n): the k-th of n equal slices of every fleet block, with the phones'
// addresses and extensions as in the whole fleet. The registrar and the
// phones listed under phones: run in shard 1 only. The registrar keeps
// the accounts of every shard.
func (f *File) ShardOf(k, n int) (*File, error) {
	if n < 1 || k < 1 || k > n {
		return nil, fmt.Errorf("shard %d/%d: want 1 <= K <= N", k, n)
	}
	out := *f
	out.Phones = nil
	if k != 1 {
		out.Registrar = nil
	}
	for _, p := range f.Phones {
		o := p.Origin
		if o.Block == 0 {
			if k == 1 {
				out.Phones = append(out.Phones, p)
			}
			continue
		}
		lo, hi := ShardRange(o.Count, k, n)
		if o.Index >= lo && o.Index < hi {
			out.Phones = append(out.Phones, p)
		}
	}
	return &out, nil
}

// ShardRange is the slice [lo, hi) of a block of count phones that shard k
// of n runs: equal slices, the first count%n one phone larger.
func ShardRange(count, k, n int) (lo, hi int) {
	base, extra := count/n, count%n
	lo = (k-1)*base + min(k-1, extra)
	hi = lo + base
	if k <= extra {
		hi++
	}
	return lo, hi
}

// ParseShard reads "K/N".
func ParseShard(s string) (k, n int, err error) {
	a, b, found := strings.Cut(s, "/")
	k, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !found || err1 != nil || err2 != nil || n < 1 || k < 1 || k > n {
		return 0, 0, fmt.Errorf("%q is not K/N with 1 <= K <= N (e.g. 1/2)", s)
	}
	return k, n, nil
}
