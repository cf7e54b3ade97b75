// Command train fits a tiny MLP in pure Go that predicts a stock's next-day
// log return from the last Window days of returns and volumes, fed by the
// DataLoader, and prints the training loss and the validation metrics of
// every epoch.
//
//	go run ./cmd/loader fetch --symbols AAPL,GOOGL,MSFT --out data
//	go run ./examples/train -in data
//
// The split is by date with an embargo, and the features are z-scored per
// symbol with training-split statistics only, so nothing of the validation
// years leaks into training.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"time"

	"github.com/seed-c7c8f39b/loader/loader"
)

func main() {
	err := run(context.Background(), os.Stdout, os.Args[1:])
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
	default:
		fmt.Fprintln(os.Stderr, "train:", err)
		os.Exit(1)
	}
}

// scale expresses returns in percent, so that losses read as %².
const scale = 100

// epochResult is what one epoch of training measured.
type epochResult struct {
	trainLoss, valLoss, valBaseline, valDirection float64
}

func run(ctx context.Context, w io.Writer, args []string) error {
	fs := flag.NewFlagSet("train", flag.ContinueOnError)
	in := fs.String("in", "data", "`directory` written by loader fetch")
	epochs := fs.Int("epochs", 8, "training epochs")
	window := fs.Int("window", 20, "days of history per sample")
	hidden := fs.Int("hidden", 16, "hidden units of the MLP")
	lr := fs.Float64("lr", 1e-3, "Adam learning rate")
	trainEnd := fs.String("train-end", "2019-12-31", "last date of the training split")
	valEnd := fs.String("val-end", "2022-12-31", "last date of the validation split")
	if err := fs.Parse(args); err != nil {
		return err
	}
	_, err := train(ctx, w, *in, *epochs, *window, *hidden, *lr, *trainEnd, *valEnd)
	return err
}

// train runs the whole fit and returns the metrics of every epoch.
func train(ctx context.Context, w io.Writer, in string, epochs, window, hidden int, lr float64, trainEnd, valEnd string) ([]epochResult, error) {
	te, err := time.Parse(time.DateOnly, trainEnd)
	if err != nil {
		return nil, fmt.Errorf("-train-end: %w", err)
	}
	ve, err := time.Parse(time.DateOnly, valEnd)
	if err != nil {
		return nil, fmt.Errorf("-val-end: %w", err)
	}
	ds, err := loader.Open(in, loader.DatasetConfig{
		Features:  []string{loader.LogReturn, "volume"},
		Target:    loader.LogReturn,
		TrainEnd:  te,
		ValEnd:    ve,
		Embargo:   5,
		Normalize: true,
	})
	if err != nil {
		return nil, fmt.Errorf("%w (create the files with: go run ./cmd/loader fetch --symbols AAPL,GOOGL,MSFT --out %s)", err, in)
	}
	trainL, err := loader.New(ds, loader.Config{Split: loader.Train, Window: window, BatchSize: 64, Shuffle: true, Seed: 1})
	if err != nil {
		return nil, err
	}
	defer trainL.Close()
	valL, err := loader.New(ds, loader.Config{Split: loader.Val, Window: window, BatchSize: 512})
	if err != nil {
		return nil, err
	}
	defer valL.Close()
	fmt.Fprintf(w, "%d symbols; train %d windows, val %d windows; MLP %d→%d→1, loss MSE in %%²\n",
		len(ds.Symbols()), trainL.Samples(), valL.Samples(), window*2, hidden)

	m := newMLP(window*2, hidden, rand.New(rand.NewPCG(1, 2)))
	opt := newAdam(m, lr)
	mean := 0.0 // the training mean of the target: the baseline prediction
	var results []epochResult
	for e := range epochs {
		var sum float64
		var n, tgt int
		for {
			b, err := trainL.Next(ctx)
			if err == io.EOF {
				break
			}
			if err != nil {
				return nil, err
			}
			sum += m.step(b, opt) * float64(b.Size)
			n += b.Size
			if e == 0 {
				for _, y := range b.Y {
					mean += float64(y) * scale
					tgt++
				}
			}
			b.Release()
		}
		if e == 0 {
			mean /= float64(tgt)
		}
		r := epochResult{trainLoss: sum / float64(n)}
		if r.valLoss, r.valBaseline, r.valDirection, err = m.evaluate(ctx, valL, mean); err != nil {
			return nil, err
		}
		results = append(results, r)
		fmt.Fprintf(w, "epoch %d  train loss %.4f  val loss %.4f (predict-the-mean %.4f)  val direction accuracy %.1f%%\n",
			e+1, r.trainLoss, r.valLoss, r.valBaseline, 100*r.valDirection)
	}
	return results, nil
}

// evaluate returns the model's validation MSE, the MSE of always predicting
// mean, and how often the model gets the sign of the return right.
func (m *mlp) evaluate(ctx context.Context, l *loader.Loader, mean float64) (mse, baseline, direction float64, err error) {
	n := 0
	for {
		b, err := l.Next(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			return 0, 0, 0, err
		}
		d := b.Window * b.Features
		for j := range b.Size {
			pred := m.forward(b.X[j*d : (j+1)*d])
			y := float64(b.Y[j]) * scale
			mse += (pred - y) * (pred - y)
			baseline += (mean - y) * (mean - y)
			if (pred > 0) == (y > 0) {
				direction++
			}
		}
		n += b.Size
		b.Release()
	}
	return mse / float64(n), baseline / float64(n), direction / float64(n), nil
}

// mlp is one hidden tanh layer and a linear output. Its parameters live in
// one slice so the optimizer can treat them as a vector.
type mlp struct {
	in, hidden int
	params     []float64 // w1 [hidden×in], b1 [hidden], w2 [hidden], b2 [1]
	grads      []float64
	act        []float64 // hidden activations of the last forward pass
}

func newMLP(in, hidden int, rng *rand.Rand) *mlp {
	m := &mlp{in: in, hidden: hidden, act: make([]float64, hidden)}
	size := hidden*in + hidden + hidden + 1
	m.params, m.grads = make([]float64, size), make([]float64, size)
	for i := range hidden * in {
		m.params[i] = rng.NormFloat64() / math.Sqrt(float64(in))
	}
	w2 := m.params[hidden*in+hidden : hidden*in+2*hidden]
	for i := range w2 {
		w2[i] = rng.NormFloat64() / math.Sqrt(float64(hidden))
	}
	return m
}

func (m *mlp) forward(x []float32) float64 {
	w1, b1 := m.params[:m.hidden*m.in], m.params[m.hidden*m.in:m.hidden*m.in+m.hidden]
	w2, b2 := m.params[m.hidden*m.in+m.hidden:len(m.params)-1], m.params[len(m.params)-1]
	out := b2
	for h := range m.hidden {
		z := b1[h]
		row := w1[h*m.in : (h+1)*m.in]
		for i, v := range x {
			z += row[i] * float64(v)
		}
		m.act[h] = math.Tanh(z)
		out += w2[h] * m.act[h]
	}
	return out
}

// step does one Adam step on batch b and returns its mean squared error.
func (m *mlp) step(b *loader.Batch, opt *adam) float64 {
	clear(m.grads)
	gw1, gb1 := m.grads[:m.hidden*m.in], m.grads[m.hidden*m.in:m.hidden*m.in+m.hidden]
	gw2 := m.grads[m.hidden*m.in+m.hidden : len(m.grads)-1]
	w2 := m.params[m.hidden*m.in+m.hidden : len(m.params)-1]
	d := b.Window * b.Features
	loss := 0.0
	for j := range b.Size {
		x := b.X[j*d : (j+1)*d]
		diff := m.forward(x) - float64(b.Y[j])*scale
		loss += diff * diff
		g := 2 * diff / float64(b.Size)
		m.grads[len(m.grads)-1] += g
		for h := range m.hidden {
			gw2[h] += g * m.act[h]
			gz := g * w2[h] * (1 - m.act[h]*m.act[h])
			gb1[h] += gz
			row := gw1[h*m.in : (h+1)*m.in]
			for i, v := range x {
				row[i] += gz * float64(v)
			}
		}
	}
	opt.update(m.params, m.grads)
	return loss / float64(b.Size)
}

// adam is the Adam optimizer (Kingma & Ba, 2015) with its usual defaults.
type adam struct {
	lr   float64
	t    int
	m, v []float64
}

func newAdam(m *mlp, lr float64) *adam {
	return &adam{lr: lr, m: make([]float64, len(m.params)), v: make([]float64, len(m.params))}
}

func (a *adam) update(params, grads []float64) {
	const beta1, beta2, eps = 0.9, 0.999, 1e-8
	a.t++
	c1, c2 := 1-math.Pow(beta1, float64(a.t)), 1-math.Pow(beta2, float64(a.t))
	for i, g := range grads {
		a.m[i] = beta1*a.m[i] + (1-beta1)*g
		a.v[i] = beta2*a.v[i] + (1-beta2)*g*g
		params[i] -= a.lr * (a.m[i] / c1) / (math.Sqrt(a.v[i]/c2) + eps)
	}
}
