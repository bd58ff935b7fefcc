package registrar

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// Load: digest registrations of many accounts. (Field notes: diago managed
// 1000 digest registrations in about 0.6 s on this kind of machine.)

func manyUsers(n int) map[string]string {
	users := make(map[string]string, n)
	for i := range n {
		users[fmt.Sprintf("u%04d", i)] = fmt.Sprintf("pw%04d", i)
	}
	return users
}

// registerOnce does one full digest registration (REGISTER, 401, REGISTER
// with credentials, 200) and returns an error instead of failing the test,
// so that it can run on any goroutine.
func registerOnce(u *rawUA, r *Registrar, user, password string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req := u.newRegister(r, user, 300)
	res, err := u.client.Do(ctx, req)
	if err != nil {
		return err
	}
	if res.StatusCode == sip.StatusUnauthorized {
		res, err = u.client.DoDigestAuth(ctx, req, res, sipgo.DigestAuth{Username: user, Password: password})
		if err != nil {
			return err
		}
	}
	if res.StatusCode != sip.StatusOK {
		return fmt.Errorf("REGISTER %s: %s", user, res.StartLine())
	}
	return nil
}

func TestManyRegistrations(t *testing.T) {
	n := 1000
	if testing.Short() {
		n = 100
	}
	users := manyUsers(n)
	r := startRegistrar(t, Config{Users: users})
	const workers = 8
	uas := make([]*rawUA, workers)
	for i := range uas {
		uas[i] = newRawUA(t, fmt.Sprintf("load%d", i))
	}
	start := time.Now()
	var wg sync.WaitGroup
	var failed atomic.Int32
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += workers {
				user := fmt.Sprintf("u%04d", i)
				if err := registerOnce(uas[w], r, user, users[user]); err != nil {
					failed.Add(1)
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if failed.Load() > 0 {
		t.FailNow()
	}
	if got := len(r.Bindings()); got != n {
		t.Fatalf("%d bindings after %d registrations", got, n)
	}
	t.Logf("%d digest registrations from %d sockets in %v (%.0f/s)", n, workers, elapsed, float64(n)/elapsed.Seconds())
}

func BenchmarkRegister(b *testing.B) {
	users := manyUsers(1000)
	r := startRegistrar(b, Config{Users: users})

	b.Run("sequential", func(b *testing.B) {
		u := newRawUA(b, "bench")
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			user := fmt.Sprintf("u%04d", i%1000)
			if err := registerOnce(u, r, user, users[user]); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "reg/s")
	})

	b.Run("parallel", func(b *testing.B) {
		var mu sync.Mutex
		var next int
		pool := make(chan *rawUA, 64)
		for range cap(pool) {
			pool <- newRawUA(b, "bench")
		}
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			u := <-pool
			defer func() { pool <- u }()
			for pb.Next() {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				user := fmt.Sprintf("u%04d", i%1000)
				if err := registerOnce(u, r, user, users[user]); err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "reg/s")
	})
}
