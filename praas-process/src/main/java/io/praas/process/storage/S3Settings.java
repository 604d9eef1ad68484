package io.praas.process.storage;

import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.http.urlconnection.ProxyConfiguration;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

import java.net.URI;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * Where object storage is: AWS S3 (null endpoint, the AWS credential chain), or any S3-compatible
 * endpoint such as MinIO or the control plane's embedded S3Proxy. The one place that builds S3
 * clients, for the control plane and the processes alike.
 *
 * @param endpoint  S3-compatible endpoint, or null for AWS
 * @param region    region
 * @param bucket    bucket
 * @param accessKey access key ("" = the AWS default credential chain)
 * @param secretKey secret key
 */
public record S3Settings(URI endpoint, String region, String bucket, String accessKey, String secretKey) {
    /** How long a connection to the store may take to open, and a read to wait, for every client. */
    public static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    public static final Duration READ_TIMEOUT = Duration.ofSeconds(60);

    /** Whether the settings carry an access key (otherwise credentials come from the AWS chain). */
    public boolean hasAccessKey() {
        return accessKey != null && !accessKey.isEmpty();
    }

    /** A client with the same settings everywhere: path-style, checksums only where required. */
    public S3Client client() {
        var builder = S3Client.builder()
                .region(Region.of(region))
                // The JDK's connections, as the builder's, but TLS sockets that close at once: an
                // attempt's time-out aborts a write the store stopped reading by disconnecting,
                // which otherwise waits in the TLS close for the lock the write holds.
                .httpClient(UrlConnectionHttpClient.create(connections(ProxyConfiguration.builder().build())))
                // S3-compatible stores differ in their support of the newer default checksums.
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED);
        if (endpoint != null) {
            builder.endpointOverride(endpoint).forcePathStyle(true);
        }
        if (hasAccessKey()) {
            builder.credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(accessKey, secretKey)));
        } else {
            builder.credentialsProvider(DefaultCredentialsProvider.builder().build());
        }
        return builder.build();
    }

    /**
     * Opens the SDK client's connections as its builder would, through the proxy its configuration
     * finds (HTTP(S)_PROXY and NO_PROXY, or the JVM's proxy properties) with the same timeouts, but
     * with TLS sockets that close at once (see {@link SignedRequests.LingerZero}).
     */
    static software.amazon.awssdk.http.urlconnection.UrlConnectionFactory connections(ProxyConfiguration proxy) {
        return uri -> {
            java.net.HttpURLConnection c;
            try {
                java.net.Proxy through = proxyFor(uri.getHost(), proxy);
                c = (java.net.HttpURLConnection) (through == null ? uri.toURL().openConnection()
                        : uri.toURL().openConnection(through));
                if (through != null && proxy.username() != null && !proxy.username().isEmpty()) {
                    String credentials = proxy.username() + ":" + (proxy.password() == null ? "" : proxy.password());
                    c.setRequestProperty("Proxy-Authorization", "Basic " + java.util.Base64.getEncoder()
                            .encodeToString(credentials.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
                }
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            if (c instanceof javax.net.ssl.HttpsURLConnection tls) {
                tls.setSSLSocketFactory(SignedRequests.LingerZero.of(tls.getSSLSocketFactory()));
            }
            c.setConnectTimeout((int) CONNECT_TIMEOUT.toMillis());
            c.setReadTimeout((int) READ_TIMEOUT.toMillis());
            return c;
        };
    }

    /** The proxy for {@code host}, or null to let the JVM's proxy selector decide (no proxy configured, or host excluded). */
    static java.net.Proxy proxyFor(String host, ProxyConfiguration proxy) {
        if (proxy.host() == null || proxy.host().isEmpty()) {
            return null;
        }
        for (String excluded : proxy.nonProxyHosts()) {
            String pattern = java.util.regex.Pattern.quote(excluded.strip()).replace("*", "\\E.*\\Q");
            if (host != null && host.matches("(?i)" + pattern)) {
                return java.net.Proxy.NO_PROXY;
            }
        }
        return new java.net.Proxy(java.net.Proxy.Type.HTTP, new java.net.InetSocketAddress(proxy.host(), proxy.port()));
    }

    /** The PRAAS_S3_* environment variables that hand these settings to a process. */
    public Map<String, String> environment() {
        Map<String, String> env = new HashMap<>();
        if (endpoint != null) {
            env.put("PRAAS_S3_ENDPOINT", endpoint.toString());
        }
        env.put("PRAAS_S3_REGION", region);
        env.put("PRAAS_S3_BUCKET", bucket);
        env.put("PRAAS_S3_ACCESS_KEY", accessKey == null ? "" : accessKey);
        env.put("PRAAS_S3_SECRET_KEY", secretKey == null ? "" : secretKey);
        return env;
    }

    /** Settings from PRAAS_S3_* variables, or null when PRAAS_S3_BUCKET is not set. */
    public static S3Settings fromEnvironment(Map<String, String> env) {
        String bucket = env.get("PRAAS_S3_BUCKET");
        if (bucket == null || bucket.isBlank()) {
            return null;
        }
        String endpoint = env.get("PRAAS_S3_ENDPOINT");
        return new S3Settings(endpoint == null || endpoint.isBlank() ? null : URI.create(endpoint),
                env.getOrDefault("PRAAS_S3_REGION", "us-east-1"), bucket,
                env.getOrDefault("PRAAS_S3_ACCESS_KEY", ""), env.getOrDefault("PRAAS_S3_SECRET_KEY", ""));
    }
}
