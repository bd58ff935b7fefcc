package fleet

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/phonesim/phonesim/config"
	"github.com/phonesim/phonesim/emulator"
)

// provisionTimeout bounds one auto-provisioning fetch and apply.
const provisionTimeout = 10 * time.Second

// provisionURL is where key=AutoP looks: <provisioning_url>/<mac>.yaml with
// the MAC as 12 lowercase hex digits, as desk phones name their files.
func provisionURL(base, mac string) string {
	return strings.TrimRight(base, "/") + "/" + strings.ToLower(strings.ReplaceAll(mac, ":", "")) + ".yaml"
}

// autoProvision fetches the phone's file, applies it with ordinary inputs
// and reports the outcome; it runs on its own goroutine (emulator.Config
// Provision).
func (m *Member) autoProvision() {
	url := provisionURL(m.Config.ProvisioningURL, m.Config.MAC)
	ctx, cancel := context.WithTimeout(context.Background(), provisionTimeout)
	defer cancel()
	applied, err := m.provisionFrom(ctx, url)
	res := emulator.ProvisionResult{URL: url, Applied: applied}
	if err != nil {
		res.Err = err.Error()
	}
	m.Phone.Post(res)
}

func (m *Member) provisionFrom(ctx context.Context, url string) ([]string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", fmt.Sprintf("phonesim/%s (%s %s %s)", Version, m.Config.Model, m.Config.Firmware, m.Config.MAC))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, config.MaxProvisionSize+1))
	if err != nil {
		return nil, err
	}
	p, err := config.ParseProvisioned(url, data)
	if err != nil {
		return nil, err
	}
	var applied []string
	if p.DND != nil {
		if err := m.Phone.Do(ctx, emulator.SetDND{On: *p.DND}); err != nil {
			return applied, err
		}
		applied = append(applied, "dnd")
	}
	if f := p.Forward; f != nil {
		for kind, target := range map[emulator.ForwardKind]string{
			emulator.ForwardAlways: f.Always, emulator.ForwardBusy: f.Busy, emulator.ForwardNoAnswer: f.NoAnswer,
		} {
			in := emulator.SetForward{Kind: kind, On: target != "", Target: target,
				RingTimeout: time.Duration(f.NoAnswerSeconds) * time.Second}
			if err := m.Phone.Do(ctx, in); err != nil {
				return applied, err
			}
		}
		applied = append(applied, "forward")
	}
	if p.ActionURL != nil {
		// The file's action_url block replaces the phone's whole set.
		if err := m.Sender.SetURLs(p.ActionURL); err != nil {
			return applied, err
		}
		m.attachSender()
		applied = append(applied, "action_url")
	}
	return applied, nil
}

// attachSender subscribes the Action URL sender if it is not yet.
func (m *Member) attachSender() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.detach == nil {
		m.detach = m.Sender.Attach(m.Phone)
	}
}
