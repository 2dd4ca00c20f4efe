#!/usr/bin/env bash
# Generates k8s/base/apps/<app>.yaml (Deployment, Service, PodDisruptionBudget,
# HorizontalPodAutoscaler, NetworkPolicy) for every process of the service list
# (libs/contracts/src/services.ts), k8s/base/secret.yaml and k8s/base/kustomization.yaml, and
# docker-compose.yml, with tools/gen-deploy.js (`npm run gen:deploy`). The generated files are
# committed; re-run after changing the list or the generator:
#
#   bash k8s/generate.sh            (IMAGE_REPO, IMAGE_TAG: the images the manifests name)
#   bash k8s/generate.sh --check    fails if a committed file is out of date
#
# Hand-written, not generated: namespace.yaml, configmap.yaml, serviceaccount.yaml,
# networkpolicies.yaml.
set -euo pipefail
exec node "$(dirname "$0")/../tools/gen-deploy.js" "$@"
