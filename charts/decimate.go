package charts

// decimate thins a line of many more points than pixels: it splits the
// points into buckets consecutive runs and keeps, of each, the lowest and
// the highest point in their order. The line looks the same at that width —
// every spike survives — while the rasterizer, whose cost grows steeply
// with the vertices of a path, draws a fraction of them. Lines of at most
// 2*buckets points come back unchanged.
func decimate(xs, ys []float64, buckets int) ([]float64, []float64) {
	n := len(xs)
	if buckets < 1 || n <= 2*buckets {
		return xs, ys
	}
	outX := make([]float64, 0, 2*buckets)
	outY := make([]float64, 0, 2*buckets)
	for b := range buckets {
		lo, hi := b*n/buckets, (b+1)*n/buckets
		if lo == hi {
			continue
		}
		minI, maxI := lo, lo
		for i := lo + 1; i < hi; i++ {
			if ys[i] < ys[minI] {
				minI = i
			}
			if ys[i] > ys[maxI] {
				maxI = i
			}
		}
		first, second := min(minI, maxI), max(minI, maxI)
		outX, outY = append(outX, xs[first]), append(outY, ys[first])
		if second != first {
			outX, outY = append(outX, xs[second]), append(outY, ys[second])
		}
	}
	return outX, outY
}

// peaks thins bars the same way for an area filled from zero: each bucket
// becomes one point at its first x with its highest y, so the filled
// outline keeps every peak.
func peaks(xs, ys []float64, buckets int) ([]float64, []float64) {
	n := len(xs)
	if buckets < 1 || n <= buckets {
		return xs, ys
	}
	outX := make([]float64, 0, buckets)
	outY := make([]float64, 0, buckets)
	for b := range buckets {
		lo, hi := b*n/buckets, (b+1)*n/buckets
		if lo == hi {
			continue
		}
		top := ys[lo]
		for _, y := range ys[lo+1 : hi] {
			top = max(top, y)
		}
		outX, outY = append(outX, xs[lo]), append(outY, top)
	}
	return outX, outY
}
