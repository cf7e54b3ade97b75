package loader

import "math/rand/v2"

// sample is one window: the series it reads and its first row.
type sample struct {
	series, start uint32
}

// windows returns every window of split whose features and label are free
// of nulls, symbol by symbol, in date order. Window starts are Stride rows
// apart from the first row of the split; a window and its label lie wholly
// inside the split's rows of one symbol.
func windows(ds *Dataset, split Split, window, horizon, stride int) []sample {
	var out []sample
	for i, s := range ds.series {
		lo, hi := s.bounds[split][0], s.bounds[split][1]
		for start := lo; start+window+horizon <= hi; start += stride {
			end := start + window
			if s.featBad[end] != s.featBad[start] || s.targetBad[end+horizon] != s.targetBad[end] {
				continue
			}
			out = append(out, sample{series: uint32(i), start: uint32(start)})
		}
	}
	return out
}

// epochOrder fills order with the sample order of an epoch: the identity,
// or a permutation that depends only on seed and epoch.
func epochOrder(order []uint32, shuffle bool, seed uint64, epoch int) {
	for i := range order {
		order[i] = uint32(i)
	}
	if !shuffle {
		return
	}
	rng := rand.New(rand.NewPCG(seed, uint64(epoch)))
	for i := len(order) - 1; i > 0; i-- {
		j := rng.Uint64N(uint64(i + 1))
		order[i], order[j] = order[j], order[i]
	}
}

// shard describes one rank's share of the epoch order from position start
// on: of the m = n-start positions left, rank r takes r, r+world, r+2·world,
// …, like PyTorch's DistributedSampler. start is 0 but in an epoch resumed
// with another world size (see Loader.Restore). Without dropLast the
// positions are padded by wrapping around to start until every rank has
// ceil(m/world) samples; with dropLast they are truncated to
// world·floor(m/world) and each rank drops its last partial batch, so shares
// are disjoint.
type shard struct {
	n, start, rank, world, batch int
	perRank, batches             int
}

func newShard(n, start, rank, world, batch int, dropLast bool) shard {
	s := shard{n: n, start: start, rank: rank, world: world, batch: batch}
	m := n - start
	if dropLast {
		s.perRank = m / world
		s.batches = s.perRank / batch
		s.perRank = s.batches * batch
	} else if m > 0 {
		s.perRank = (m + world - 1) / world
		s.batches = (s.perRank + batch - 1) / batch
	}
	return s
}

// span returns the first and end positions of batch i in the rank's share.
func (s shard) span(i int) (lo, hi int) {
	return i * s.batch, min((i+1)*s.batch, s.perRank)
}

// at returns the index into the epoch order of position p of the rank's
// share, and whether it is padding that repeats an earlier sample.
func (s shard) at(p int) (idx int, padded bool) {
	g := p*s.world + s.rank
	m := s.n - s.start
	return s.start + g%m, g >= m
}

// consumed returns how many positions of the epoch order the ranks have
// taken once every rank has yielded its first batches batches.
func (s shard) consumed(batches int) int {
	return s.start + min(batches*s.batch*s.world, s.n-s.start)
}
