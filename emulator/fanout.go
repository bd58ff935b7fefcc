package emulator

import "sync"

// fanout delivers events to subscribers. Each subscriber has its own
// goroutine and unbounded queue, so a slow subscriber (an Action URL server
// that takes 5 s to answer) never stalls the loop or the other subscribers,
// and each subscriber sees events in the loop's order.
type fanout struct {
	mu   sync.Mutex
	next int
	subs map[int]*subscriber
	wg   sync.WaitGroup
}

type subscriber struct {
	box  *mailbox[Event]
	done chan struct{}
}

func (f *fanout) subscribe(fn func(Event)) (cancel func()) {
	s := &subscriber{box: newMailbox[Event](), done: make(chan struct{})}
	f.mu.Lock()
	if f.subs == nil {
		f.subs = make(map[int]*subscriber)
	}
	id := f.next
	f.next++
	f.subs[id] = s
	f.mu.Unlock()

	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		var buf []Event
		for {
			select {
			case <-s.done:
				return
			case <-s.box.wake:
			}
			buf = s.box.take(buf)
			for _, ev := range buf {
				select {
				case <-s.done:
					return
				default:
				}
				fn(ev)
			}
			// Closed and drained: done. (A close that landed while this
			// batch ran used up the single wake-up, so do not wait again.)
			if s.box.isClosed() {
				return
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			f.mu.Lock()
			delete(f.subs, id)
			f.mu.Unlock()
			close(s.done)
		})
	}
}

func (f *fanout) publish(ev Event) {
	f.mu.Lock()
	for _, s := range f.subs {
		s.box.put(ev)
	}
	f.mu.Unlock()
}

// closeAll lets every subscriber drain what it has queued, then waits for
// their goroutines to end.
func (f *fanout) closeAll() {
	f.mu.Lock()
	for _, s := range f.subs {
		s.box.close()
	}
	f.mu.Unlock()
	f.wg.Wait()
}

func (m *mailbox[T]) isClosed() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.closed && len(m.items) == 0
}
