package io.praas.controlplane;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.praas.controlplane.api.RestApi;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Route;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** The OpenAPI document in the module matches the routes the REST API serves. */
class OpenApiDocumentTest {
    private static final Set<String> OPERATIONS = Set.of("get", "put", "post", "delete", "patch", "head", "options");
    private static final Pattern VERTX_PARAM = Pattern.compile(":([A-Za-z0-9_]+)");
    private static final Pattern OPENAPI_PARAM = Pattern.compile("\\{([A-Za-z0-9_]+)}");

    @TempDir
    static Path dataDir;
    private static ControlPlane cp;
    private static Vertx vertx;
    private static byte[] documentBytes;
    private static JsonNode document;

    @BeforeAll
    static void load() throws Exception {
        cp = ControlPlane.start(ControlPlanes.options(dataDir).config());
        vertx = Vertx.vertx();
        try (InputStream in = RestApi.class.getResourceAsStream("/openapi.yaml")) {
            assertThat(in).as("openapi.yaml in the module's resources").isNotNull();
            documentBytes = in.readAllBytes();
        }
        document = new YAMLMapper().readTree(documentBytes);
    }

    @AfterAll
    static void stop() {
        if (vertx != null) {
            vertx.close().toCompletionStage().toCompletableFuture().join();
        }
        if (cp != null) {
            cp.close();
        }
    }

    @Test
    void everyRouteIsDocumentedWithItsMethod() {
        assertThat(documented()).containsAll(routed());
    }

    @Test
    void everyDocumentedOperationIsRouted() {
        assertThat(routed()).containsAll(documented());
    }

    @Test
    void everyPathParameterIsDeclared() {
        List<String> undeclared = new ArrayList<>();
        document.path("paths").properties().forEach(path -> {
            Matcher m = OPENAPI_PARAM.matcher(path.getKey());
            while (m.find()) {
                String name = m.group(1);
                for (Iterator<String> ops = path.getValue().fieldNames(); ops.hasNext(); ) {
                    String op = ops.next();
                    if (OPERATIONS.contains(op) && !declares(path.getValue().path("parameters"), name)
                            && !declares(path.getValue().path(op).path("parameters"), name)) {
                        undeclared.add(op.toUpperCase(Locale.ROOT) + " " + path.getKey() + " {" + name + "}");
                    }
                }
            }
        });
        assertThat(undeclared).isEmpty();
    }

    @Test
    void servedDocumentIsTheModulesDocumentAndNeedsNoToken() {
        Api.Reply r = Api.admin(cp).authorization(null).get("/v1/openapi.yaml");

        assertThat(r.status()).isEqualTo(200);
        assertThat(r.contentType()).startsWith("application/yaml");
        assertThat(r.body()).isEqualTo(documentBytes);
    }

    /** "METHOD /path/{param}" of every route with a path and methods (not the auth and fallback routes). */
    private static Set<String> routed() {
        RestApi api = new RestApi(vertx, cp.lifecycle(), null, "", true, 1024, Map::of);
        Set<String> routes = new TreeSet<>();
        for (Route route : api.router().getRoutes()) {
            Set<HttpMethod> methods = route.methods();
            if (route.getPath() == null || methods == null || methods.isEmpty()) {
                continue;
            }
            String path = VERTX_PARAM.matcher(route.getPath()).replaceAll("{$1}");
            methods.forEach(m -> routes.add(m.name() + " " + path));
        }
        assertThat(routes).as("routes of RestApi.router()").isNotEmpty();
        return routes;
    }

    private static Set<String> documented() {
        Set<String> operations = new TreeSet<>();
        document.path("paths").properties().forEach(path -> path.getValue().fieldNames().forEachRemaining(op -> {
            if (OPERATIONS.contains(op)) {
                operations.add(op.toUpperCase(Locale.ROOT) + " " + path.getKey());
            }
        }));
        assertThat(operations).as("operations of openapi.yaml").isNotEmpty();
        return operations;
    }

    private static boolean declares(JsonNode parameters, String name) {
        for (JsonNode p : parameters) {
            JsonNode resolved = p;
            if (p.has("$ref")) {
                String[] ref = p.path("$ref").asText().replaceFirst("^#/", "").split("/");
                resolved = document;
                for (String part : ref) {
                    resolved = resolved.path(part);
                }
            }
            if (name.equals(resolved.path("name").asText()) && "path".equals(resolved.path("in").asText())) {
                return true;
            }
        }
        return false;
    }
}
