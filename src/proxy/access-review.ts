/**
 * Asks kube-apiserver whether a user may do something, with a
 * SubjectAccessReview made with the proxy's own credentials.
 */
import type { UserInfo } from "../auth/authenticator.ts";
import { KubewardError } from "../errors.ts";
import type { Upstream } from "./upstream.ts";

/** authorization.k8s.io/v1 ResourceAttributes. */
export interface ResourceAttributes {
  readonly verb: string;
  readonly group: string;
  readonly version: string;
  readonly resource: string;
  readonly subresource?: string;
  readonly name?: string;
  readonly namespace?: string;
}

/** The answer of one review. */
export interface AccessDecision {
  readonly allowed: boolean;
  /** The authorizer's reason, as kube-apiserver would show it; may be empty. */
  readonly reason: string;
}

/** Reviews one action for one user. Transport failures reject with upstream_* KubewardErrors. */
export type AccessReviewer = (user: UserInfo, attributes: ResourceAttributes) => Promise<AccessDecision>;

const SAR_PATH = "/apis/authorization.k8s.io/v1/subjectaccessreviews";

/** Builds the SubjectAccessReview body for `user` and `attributes`. */
function subjectAccessReview(user: UserInfo, attributes: ResourceAttributes): object {
  return {
    apiVersion: "authorization.k8s.io/v1",
    kind: "SubjectAccessReview",
    spec: {
      user: user.username,
      groups: user.groups,
      ...(user.uid !== undefined ? { uid: user.uid } : {}),
      ...(Object.keys(user.extra).length > 0 ? { extra: user.extra } : {}),
      resourceAttributes: attributes,
    },
  };
}

/** A reviewer that POSTs SubjectAccessReviews to the upstream. */
export function createAccessReviewer(upstream: Upstream): AccessReviewer {
  return async (user, attributes) => {
    const { statusCode, body } = await upstream.requestJson("POST", SAR_PATH, subjectAccessReview(user, attributes));
    if (statusCode !== 201 && statusCode !== 200) {
      throw new KubewardError("upstream_error", `SubjectAccessReview answered ${statusCode}`);
    }
    if (typeof body !== "object" || body === null) throw new KubewardError("upstream_error", "SubjectAccessReview answer is not JSON");
    const status = (body as { status?: { allowed?: unknown; denied?: unknown; reason?: unknown } }).status;
    return {
      allowed: status?.allowed === true && status.denied !== true,
      reason: typeof status?.reason === "string" ? status.reason : "",
    };
  };
}
