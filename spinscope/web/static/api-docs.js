// The API's interactive docs (/api/v1/docs): Swagger UI over the app's OpenAPI schema.
SwaggerUIBundle({
  url: document.getElementById("swagger-ui").dataset.openapi,
  dom_id: "#swagger-ui",
  deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis],
});
