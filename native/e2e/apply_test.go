package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
)

// repo is the repository root, from native/e2e.
func repo(parts ...string) string {
	return filepath.Join(append([]string{"..", ".."}, parts...)...)
}

// documents reads every non-empty YAML document of a file.
func documents(path string) ([]*unstructured.Unstructured, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	decoder := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	var objects []*unstructured.Unstructured
	for {
		var object map[string]any
		if err := decoder.Decode(&object); err != nil {
			if errors.Is(err, io.EOF) {
				return objects, nil
			}
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if len(object) > 0 {
			objects = append(objects, &unstructured.Unstructured{Object: object})
		}
	}
}

// client is a dynamic client acting as the admin or, impersonating, as anyone.
type client struct {
	config  *rest.Config
	dynamic dynamic.Interface
	mapper  *restmapper.DeferredDiscoveryRESTMapper
}

func newClient(config *rest.Config) (*client, error) {
	dyn, err := dynamic.NewForConfig(config)
	if err != nil {
		return nil, err
	}
	disc, err := discovery.NewDiscoveryClientForConfig(config)
	if err != nil {
		return nil, err
	}
	return &client{config: config, dynamic: dyn, mapper: restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(disc))}, nil
}

// as returns a client that impersonates a user, its groups and extra (a bound token's
// node-name claim among them), with this client's other settings (a warning handler).
func (c *client) as(user string, groups []string, extra map[string][]string) (*client, error) {
	config := rest.CopyConfig(c.config)
	config.Impersonate = rest.ImpersonationConfig{UserName: user, Groups: groups, Extra: extra}
	dyn, err := dynamic.NewForConfig(config)
	if err != nil {
		return nil, err
	}
	return &client{config: config, dynamic: dyn, mapper: c.mapper}, nil
}

// resource is where an object of this kind is served, for its namespace.
func (c *client) resource(object *unstructured.Unstructured) (dynamic.ResourceInterface, error) {
	gvk := object.GroupVersionKind()
	mapping, err := c.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if meta.IsNoMatchError(err) {
		c.mapper.Reset()
		mapping, err = c.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	}
	if err != nil {
		return nil, err
	}
	if mapping.Scope.Name() == meta.RESTScopeNameNamespace {
		namespace := object.GetNamespace()
		if namespace == "" {
			namespace = "default"
		}
		return c.dynamic.Resource(mapping.Resource).Namespace(namespace), nil
	}
	return c.dynamic.Resource(mapping.Resource), nil
}

// apply applies an object server-side with strict field validation, as `kubectl apply
// --server-side` does.
func (c *client) apply(ctx context.Context, object *unstructured.Unstructured) error {
	resource, err := c.resource(object)
	if err != nil {
		return err
	}
	data, err := json.Marshal(object.Object)
	if err != nil {
		return err
	}
	_, err = resource.Patch(ctx, object.GetName(), types.ApplyPatchType, data, metav1.PatchOptions{
		FieldManager: "native-e2e", Force: ptr(true), FieldValidation: "Strict",
	})
	return err
}

func ptr[T any](v T) *T { return &v }

// applyFiles applies every document of the files, in order; CRDs are waited for until served.
func (c *client) applyFiles(ctx context.Context, paths ...string) error {
	for _, path := range paths {
		objects, err := documents(path)
		if err != nil {
			return err
		}
		for _, object := range objects {
			if err := c.applyWhenServed(ctx, object); err != nil {
				return fmt.Errorf("%s: %s %s: %w", path, object.GetKind(), object.GetName(), err)
			}
		}
	}
	return nil
}

// applyWhenServed retries while the object's kind is not served yet (a CRD just created).
func (c *client) applyWhenServed(ctx context.Context, object *unstructured.Unstructured) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := c.apply(ctx, object)
		if err == nil || time.Now().After(deadline) || !(meta.IsNoMatchError(err) || apierrors.IsNotFound(err)) {
			return err
		}
		c.mapper.Reset()
		time.Sleep(200 * time.Millisecond)
	}
}

// ensureNamespace creates a namespace and its ServiceAccounts, `default` among them (no
// controller-manager runs to create it; the ServiceAccount admission plugin needs it).
func ensureNamespace(t testing.TB, ctx context.Context, c *client, namespace string, serviceAccounts ...string) {
	t.Helper()
	if err := c.namespace(ctx, namespace, serviceAccounts...); err != nil {
		t.Fatal(err)
	}
}

func (c *client) namespace(ctx context.Context, namespace string, serviceAccounts ...string) error {
	ns := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": namespace},
	}}
	if err := c.apply(ctx, ns); err != nil {
		return fmt.Errorf("namespace %s: %w", namespace, err)
	}
	for _, name := range append([]string{"default"}, serviceAccounts...) {
		sa := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "v1", "kind": "ServiceAccount",
			"metadata": map[string]any{"name": name, "namespace": namespace},
		}}
		if err := c.apply(ctx, sa); err != nil {
			return fmt.Errorf("ServiceAccount %s/%s: %w", namespace, name, err)
		}
	}
	return nil
}

// denial is the policy's message in a ValidatingAdmissionPolicy's refusal, or "".
func denial(err error) string {
	if err == nil {
		return ""
	}
	message := err.Error()
	if i := strings.Index(message, "denied request: "); i >= 0 {
		return message[i+len("denied request: "):]
	}
	return message
}
