package lance

import (
	"context"
	"iter"
)

// prefetch runs produce on its own goroutine and yields what it emits,
// keeping at most depth items ready ahead of the consumer, so that
// decoding overlaps with the consumer's work. When the consumer stops
// early, produce is cancelled (emit returns false) and pending items are
// given to release. An error ends the sequence.
func prefetch[T any](ctx context.Context, depth int, produce func(context.Context, func(T) bool) error, release func(T)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		pctx, cancel := context.WithCancel(ctx)
		type item struct {
			v   T
			ok  bool
			err error
		}
		ch := make(chan item, depth)
		go func() {
			defer close(ch)
			err := produce(pctx, func(v T) bool {
				select {
				case ch <- item{v: v, ok: true}:
					return true
				case <-pctx.Done():
					release(v)
					return false
				}
			})
			if err == nil {
				// A cancelled caller must not mistake the stop for the end
				// of the data.
				err = ctx.Err()
			}
			if err != nil {
				// Either the consumer or the drain below receives it.
				ch <- item{err: err}
			}
		}()
		defer func() {
			cancel()
			for it := range ch {
				if it.ok {
					release(it.v)
				}
			}
		}()
		for it := range ch {
			if it.err != nil {
				var zero T
				yield(zero, it.err)
				return
			}
			if !yield(it.v, nil) {
				return
			}
		}
	}
}
