package provider_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/http/httptest"

	"github.com/resona-go/resona/provider"
)

func cosine(a, b []float32) float64 {
	var dot, na, nb float64
	for i := range a {
		dot += float64(a[i]) * float64(b[i])
		na += float64(a[i]) * float64(a[i])
		nb += float64(b[i]) * float64(b[i])
	}
	return dot / math.Sqrt(na*nb)
}

func ExampleNewLocal() {
	p, err := provider.NewLocal(provider.LocalConfig{})
	if err != nil {
		panic(err)
	}
	vecs, err := p.Embed(context.Background(), []string{
		"How do I add an index to speed up a slow database query?",
		"The query planner ignored the index, so the database scanned the whole table.",
		"Simmer the tomato sauce for an hour and season it with salt.",
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(p.Model(), p.Dimensions())
	fmt.Println("database question is closer to the database note:", cosine(vecs[0], vecs[1]) > cosine(vecs[0], vecs[2]))
	// Output:
	// resona-local-hash-v1 512
	// database question is closer to the database note: true
}

func ExampleNew() {
	// The CLI builds providers by name; API keys and OLLAMA_HOST come
	// from the environment when the Config leaves them empty.
	p, err := provider.New(context.Background(), "local", provider.Config{})
	if err != nil {
		panic(err)
	}
	fmt.Println(p.Name(), p.Model(), p.Dimensions(), p.MaxBatchSize())
	// Output: local resona-local-hash-v1 512 256
}

func ExampleNewOllama() {
	// A stand-in for `ollama serve`, answering /api/embed.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Model string   `json:"model"`
			Input []string `json:"input"`
		}
		json.NewDecoder(r.Body).Decode(&req)
		vecs := make([][]float32, len(req.Input))
		for i := range vecs {
			vecs[i] = make([]float32, 768)
			vecs[i][i%768] = 1
		}
		json.NewEncoder(w).Encode(map[string]any{"embeddings": vecs})
	}))
	defer srv.Close()

	p, err := provider.NewOllama(context.Background(), provider.OllamaConfig{
		Endpoint: srv.URL, // default http://localhost:11434
		Model:    "nomic-embed-text",
	})
	if err != nil {
		panic(err)
	}
	vecs, err := p.Embed(context.Background(), []string{"first note", "second note"})
	if err != nil {
		panic(err)
	}
	fmt.Println(len(vecs), len(vecs[0]), p.MaxChars())
	// Output: 2 768 24576
}

func ExampleNewOpenAI() {
	// A stand-in for the OpenAI API that, like the real one, may list the
	// embeddings in any order; the provider puts them back by index.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Input      []string `json:"input"`
			Dimensions int      `json:"dimensions"`
		}
		json.NewDecoder(r.Body).Decode(&req)
		type item struct {
			Index     int       `json:"index"`
			Embedding []float32 `json:"embedding"`
		}
		var data []item
		for i := len(req.Input) - 1; i >= 0; i-- {
			v := make([]float32, req.Dimensions)
			v[0] = float32(i)
			data = append(data, item{Index: i, Embedding: v})
		}
		json.NewEncoder(w).Encode(map[string]any{"object": "list", "data": data})
	}))
	defer srv.Close()

	p, err := provider.NewOpenAI(context.Background(), provider.OpenAIConfig{
		Endpoint:   srv.URL,
		APIKey:     "sk-example",
		Model:      "text-embedding-3-large",
		Dimensions: 256, // shortened vectors, sent as "dimensions"
	})
	if err != nil {
		panic(err)
	}
	vecs, err := p.Embed(context.Background(), []string{"a", "b", "c"})
	if err != nil {
		panic(err)
	}
	fmt.Println(p.Dimensions(), vecs[0][0], vecs[1][0], vecs[2][0])
	// Output: 256 0 1 2
}

func Example_errors() {
	// Nothing listens on this port: the error says how to start Ollama.
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	endpoint := "http://" + l.Addr().String()
	l.Close()

	p, _ := provider.NewOllama(context.Background(), provider.OllamaConfig{Endpoint: endpoint})
	_, err := p.Embed(context.Background(), []string{"hello"})
	fmt.Println(errors.Is(err, provider.ErrUnavailable), errors.Is(err, provider.ErrAuth))
	// Output: true false
}
