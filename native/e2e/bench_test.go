package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
)

// payload is one API call the benchmark repeats (all dry run: nothing is stored).
type payload struct {
	name string
	call func(ctx context.Context) error
}

func dryRunCreate(c *client, object *unstructured.Unstructured) func(context.Context) error {
	return func(ctx context.Context) error {
		resource, err := c.resource(object)
		if err != nil {
			return err
		}
		_, err = resource.Create(ctx, object, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
		return err
	}
}

func dryRunStatusPatch(c *client, object *unstructured.Unstructured, patch map[string]any) func(context.Context) error {
	data, _ := json.Marshal(patch)
	return func(ctx context.Context) error {
		resource, err := c.resource(object)
		if err != nil {
			return err
		}
		_, err = resource.Patch(ctx, object.GetName(), types.MergePatchType, data,
			metav1.PatchOptions{DryRun: []string{metav1.DryRunAll}}, "status")
		return err
	}
}

// benchPayloads sets up the objects the payloads need and returns them.
func benchPayloads(b *testing.B, ctx context.Context, c *client) []payload {
	daemonSet, deployment := antreaObjects(b, ctx, c)
	grantReplayGroup(b, ctx, c)
	ensureNamespace(b, ctx, c, "tenant-a")
	worker := create(b, ctx, c, node("bench-worker"))
	tenant := create(b, ctx, c, &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Pod",
		"metadata": map[string]any{"name": "bench-web", "namespace": "tenant-a"},
		"spec":     map[string]any{"nodeName": "bench-worker", "containers": []any{map[string]any{"name": "web", "image": "nginx"}}},
	}})
	agent, err := c.as(agentUser, []string{replayGroup, "system:serviceaccounts", "system:serviceaccounts:kube-system"},
		map[string][]string{nodeNameClaim: {"bench-worker"}})
	if err != nil {
		b.Fatal(err)
	}
	kubelet, err := c.as("system:node:bench-worker", []string{"system:nodes"}, nil)
	if err != nil {
		b.Fatal(err)
	}
	fiveVolumes := manyVolumes("bench-five", 5, "")
	fiveVolumes.SetNamespace("tenant-a")
	// The common tenant Pod: volumes, none of them a host path.
	noHostPath := manyVolumes("bench-empty-dirs", 5, "")
	noHostPath.SetNamespace("tenant-a")
	volumes, _, _ := unstructured.NestedSlice(noHostPath.Object, "spec", "volumes")
	for i := range volumes {
		volumes[i] = map[string]any{"name": fmt.Sprintf("v%d", i), "emptyDir": map[string]any{}}
	}
	_ = unstructured.SetNestedSlice(noHostPath.Object, volumes, "spec", "volumes")
	daemonSet = daemonSet.DeepCopy()
	daemonSet.SetName("bench-antrea-agent")
	return []payload{
		{"hostpath: tenant Pod, five emptyDirs", dryRunCreate(c, noHostPath)},
		{"hostpath: tenant Pod, five host paths", dryRunCreate(c, fiveVolumes)},
		{"hostpath: Antrea's agent DaemonSet", dryRunCreate(c, daemonSet)},
		{"status: agent annotates a Pod", dryRunStatusPatch(agent, tenant, annotation("nodeportlocal.antrea.io", "[]"))},
		{"status: kubelet heartbeat", dryRunStatusPatch(kubelet, worker, map[string]any{"status": map[string]any{
			"conditions": []any{map[string]any{"type": "Ready", "status": "True", "reason": "KubeletReady"}}}})},
		{"placement: controller Pod", dryRunCreate(c, podFrom(b, deployment, "antrea-controller-5c9b4f7d8-", ""))},
	}
}

// rounds is how many times each payload is timed, after as many warm-up calls.
const rounds = 300

// measure is the mean latency of a payload's call (testing.Benchmark cannot nest in a
// benchmark: it waits for the running one).
func measure(ctx context.Context, p payload) (time.Duration, error) {
	for i := 0; i < rounds; i++ {
		if err := p.call(ctx); err != nil {
			return 0, err
		}
	}
	start := time.Now()
	for i := 0; i < rounds; i++ {
		if err := p.call(ctx); err != nil {
			return 0, err
		}
	}
	return time.Since(start) / rounds, nil
}

// BenchmarkNativeEdition times each payload's API call without the native edition, then with
// it installed, in one run, and prints the ratios (`make bench-native`; run it with
// -benchtime=1x: it runs its own measurements once).
func BenchmarkNativeEdition(b *testing.B) {
	if admin != nil {
		b.Fatal("the edition is installed already: run the benchmark alone (make bench-native)")
	}
	ctx := context.Background()
	c, err := newClient(shared.config)
	if err != nil {
		b.Fatal(err)
	}
	payloads := benchPayloads(b, ctx, c)
	without := make([]time.Duration, len(payloads))
	for i, p := range payloads {
		if without[i], err = measure(ctx, p); err != nil {
			b.Fatalf("%s without the edition: %v", p.name, err)
		}
	}
	edition(b)
	fmt.Fprintf(os.Stdout, "\n%-40s %14s %14s %8s\n", "API call (dry run)", "no policy", "native edition", "ratio")
	for i, p := range payloads {
		with, err := measure(ctx, p)
		if err != nil {
			b.Fatalf("%s with the edition: %v", p.name, err)
		}
		fmt.Fprintf(os.Stdout, "%-40s %11.0f µs %11.0f µs %8.2f\n", p.name,
			float64(without[i].Microseconds()), float64(with.Microseconds()), float64(with)/float64(without[i]))
	}
}
