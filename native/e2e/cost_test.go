package e2e

import (
	"context"
	"fmt"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// manyVolumes is a Pod with n hostPath volumes of deep, oddly spelled paths (the costliest
// normalisation), and `extra` appended last.
func manyVolumes(name string, n int, extra string) *unstructured.Unstructured {
	pod := hostPathPod(name, "cost", "/tmp")
	var volumes, mounts []any
	for i := 0; i < n; i++ {
		path := fmt.Sprintf("//srv/./data/%d/a//b/./c/d/e/f/g/h/", i)
		if i == n-1 && extra != "" {
			path = extra
		}
		volumes = append(volumes, map[string]any{"name": fmt.Sprintf("v%d", i), "hostPath": map[string]any{"path": path}})
		mounts = append(mounts, map[string]any{"name": fmt.Sprintf("v%d", i), "mountPath": fmt.Sprintf("/mnt/%d", i)})
	}
	_ = unstructured.SetNestedSlice(pod.Object, volumes, "spec", "volumes")
	container := map[string]any{"name": "app", "image": "busybox", "volumeMounts": mounts}
	_ = unstructured.SetNestedSlice(pod.Object, []any{container}, "spec", "containers")
	return pod
}

// The API server bounds every CEL evaluation (a per-expression and a per-request cost budget):
// past it the request fails with "cost limit exceeded" under failurePolicy Fail. The largest
// payloads Antrea clusters send must be judged, not cut off.
func TestLargestPayloadsStayWithinTheCostBudget(t *testing.T) {
	c := edition(t)
	ctx := context.Background()
	ensureNamespace(t, ctx, c, "cost")
	grantReplayGroup(t, ctx, c)

	resource, err := c.resource(manyVolumes("wide", 100, ""))
	if err != nil {
		t.Fatal(err)
	}
	dryRun := metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}}
	if _, err := resource.Create(ctx, manyVolumes("wide", 100, ""), dryRun); err != nil {
		t.Errorf("a Pod with 100 safe hostPath volumes: %v", err)
	}
	_, err = resource.Create(ctx, manyVolumes("wide-bad", 100, "//run/./antrea/"), dryRun)
	want := `Pod cost/wide-bad mounts host paths that reach protected paths: spec.volumes[99] "v99" hostPath "//run/./antrea/" reaches protected path "/run/antrea"`
	if got := denial(err); got != want {
		t.Errorf("a Pod with 100 volumes, the last one protected: got %q", got)
	}

	// The agent annotates a Node that lists 600 images (the status patch a kubelet of a busy
	// Node carries): admitted; the same with a label: refused with the policy's message.
	fixture, err := fixtures("antrea-agent-status-updates")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fixture {
		if f.file != "node-600-images-annotation" {
			continue
		}
		got := replay(ctx, c, "antrea-agent-status-updates", f, "worker-1", nil)
		if got.refused != "" || got.denied != "" {
			t.Errorf("600-image Node annotation: refused %q, denied %q", got.refused, got.denied)
		}
		object := f.request["object"].(map[string]any)
		_ = unstructured.SetNestedField(object, "evil", "metadata", "labels", "node-role.kubernetes.io/control-plane")
		got = replay(ctx, c, "antrea-agent-status-updates", f, "worker-1", nil)
		want := "system:serviceaccount:kube-system:antrea-agent may only change annotations of Node worker-1: changed metadata.labels"
		if got.denied != want {
			t.Errorf("600-image Node relabelled: got %q, want %q", got.denied, want)
		}
		return
	}
	t.Fatal("fixture node-600-images-annotation not found")
}
