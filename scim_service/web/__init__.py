"""Flask glue shared by the blueprints: JSON in and out, errors, the request's workspace."""
