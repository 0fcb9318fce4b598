/** Envoy JSON as emitted: plain objects, checked afterwards against Envoy's protos by the validator. */
export type Json = { [key: string]: unknown };

const typePrefix = "type.googleapis.com/";

/** Wraps an extension config the way Envoy's `typed_config` (google.protobuf.Any) expects it. */
export function typed(typeName: string, body: Json = {}): Json {
  return { "@type": `${typePrefix}${typeName}`, ...body };
}

/**
 * One access-log line per request as JSON on stdout, so the sidecar's logs go wherever the service's
 * pino lines go and can be joined on the W3C trace id.
 */
export function stdoutAccessLog(direction: string): Json[] {
  return [
    {
      name: "envoy.access_loggers.stdout",
      typed_config: typed("envoy.extensions.access_loggers.stream.v3.StdoutAccessLog", {
        log_format: {
          json_format: {
            time: "%START_TIME%",
            direction,
            method: "%REQ(:METHOD)%",
            path: "%REQ(:PATH)%",
            authority: "%REQ(:AUTHORITY)%",
            protocol: "%PROTOCOL%",
            status: "%RESPONSE_CODE%",
            grpc_status: "%GRPC_STATUS(NUMBER)%",
            flags: "%RESPONSE_FLAGS%",
            duration_ms: "%DURATION%",
            upstream_host: "%UPSTREAM_HOST%",
            upstream_cluster: "%UPSTREAM_CLUSTER%",
            attempts: "%UPSTREAM_REQUEST_ATTEMPT_COUNT%",
            peer: "%DOWNSTREAM_PEER_URI_SAN%",
            request_id: "%REQ(X-REQUEST-ID)%",
            traceparent: "%REQ(TRACEPARENT)%",
          },
        },
      }),
    },
  ];
}

/** A socket address; Envoy wants it nested under `address.socket_address`. */
export function socketAddress(address: string, port: number): Json {
  return { socket_address: { address, port_value: port } };
}

/** Marks a cluster as speaking HTTP/2 to its hosts, which gRPC requires. */
export function http2ProtocolOptions(): Json {
  return {
    "envoy.extensions.upstreams.http.v3.HttpProtocolOptions": typed(
      "envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
      { explicit_http_config: { http2_protocol_options: {} } },
    ),
  };
}
