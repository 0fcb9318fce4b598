import { type Json, typed } from "./common.js";

function certificate(certDir: string, name: string): Json {
  return {
    certificate_chain: { filename: `${certDir}/${name}.crt` },
    private_key: { filename: `${certDir}/${name}.key` },
  };
}

function sanMatchers(names: readonly string[]): Json[] {
  return names.map((name) => ({ san_type: "DNS", matcher: { exact: name } }));
}

/**
 * The inbound side of mTLS: present this sidecar's certificate and accept only client certificates
 * from the dev CA whose SAN names a declared caller. The topology's upstream lists thus double as the
 * mesh's authorization policy: a sidecar that is not a declared caller cannot even finish a handshake.
 */
export function downstreamTls(certDir: string, self: string, allowedCallers: readonly string[]): Json {
  return {
    name: "envoy.transport_sockets.tls",
    typed_config: typed("envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext", {
      require_client_certificate: true,
      common_tls_context: {
        alpn_protocols: ["h2"],
        tls_params: { tls_minimum_protocol_version: "TLSv1_2" },
        tls_certificates: [certificate(certDir, self)],
        validation_context: {
          trusted_ca: { filename: `${certDir}/ca.crt` },
          match_typed_subject_alt_names: sanMatchers(allowedCallers),
        },
      },
    }),
  };
}

/**
 * The outbound side of mTLS: present this sidecar's certificate, and insist that the peer's certificate
 * names the upstream we meant to reach (SNI and SAN both carry the service name).
 */
export function upstreamTls(certDir: string, self: string, upstream: string): Json {
  return {
    name: "envoy.transport_sockets.tls",
    typed_config: typed("envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext", {
      sni: upstream,
      common_tls_context: {
        alpn_protocols: ["h2"],
        tls_params: { tls_minimum_protocol_version: "TLSv1_2" },
        tls_certificates: [certificate(certDir, self)],
        validation_context: {
          trusted_ca: { filename: `${certDir}/ca.crt` },
          match_typed_subject_alt_names: sanMatchers([upstream]),
        },
      },
    }),
  };
}
