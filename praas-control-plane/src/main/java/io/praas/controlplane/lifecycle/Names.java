package io.praas.controlplane.lifecycle;

import io.praas.controlplane.ControlPlaneException;

import java.util.regex.Pattern;

/** Application and process names: DNS labels, so they also name Knative Services and ECS tasks. */
public final class Names {
    private static final Pattern NAME = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");

    private Names() {
    }

    public static String check(String what, String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw ControlPlaneException.invalid(what + " must be 1-63 lower-case letters, digits and '-', "
                    + "starting and ending with a letter or digit: " + (name == null ? "(none)" : "'" + name + "'"));
        }
        return name;
    }
}
