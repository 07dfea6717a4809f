package e2e

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// The rules of the native edition, in the order they are installed.
var rules = []string{"antrea-agent-status-updates", "antrea-hostpath-guard", "antrea-controller-placement"}

var (
	installOnce sync.Once
	installErr  error
	admin       *client
)

// edition installs the native edition with enforcing bindings (once per run) and returns the
// admin client.
func edition(t testing.TB) *client {
	t.Helper()
	installOnce.Do(func() { installErr = install(context.Background()) })
	if installErr != nil {
		t.Fatalf("installing the native edition: %v", installErr)
	}
	return admin
}

func install(ctx context.Context) error {
	var err error
	if admin, err = newClient(shared.config); err != nil {
		return err
	}
	files := []string{repo("native", "params.yaml")}
	for _, rule := range rules {
		files = append(files, repo("native", rule, "policy.yaml"), repo("native", rule, "binding-deny.yaml"))
	}
	if err := admin.applyFiles(ctx, files...); err != nil {
		return err
	}
	if err := admin.namespace(ctx, "default"); err != nil {
		return err
	}
	return waitEnforced(ctx)
}

// waitEnforced waits until the API server's admission plugins have loaded the policies and
// bindings (they watch them): a Pod mounting /run is refused.
func waitEnforced(ctx context.Context) error {
	pod := hostPathPod("enforcement-probe", "default", "/run")
	deadline := time.Now().Add(60 * time.Second)
	for {
		resource, err := admin.resource(pod)
		if err != nil {
			return err
		}
		_, err = resource.Create(ctx, pod, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
		if err != nil && denial(err) != err.Error() {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the hostPath guard is not enforced after 60 s: %v", err)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// hostPathPod is a tenant Pod mounting one host path.
func hostPathPod(name, namespace, path string) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Pod",
		"metadata": map[string]any{"name": name, "namespace": namespace},
		"spec": map[string]any{
			"containers": []any{map[string]any{
				"name": "app", "image": "busybox",
				"volumeMounts": []any{map[string]any{"name": "host", "mountPath": "/host"}},
			}},
			"volumes": []any{map[string]any{"name": "host", "hostPath": map[string]any{"path": path}}},
		},
	}}
}
