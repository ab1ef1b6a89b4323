// The API reference page: Swagger UI (vendored) over the portal's own OpenAPI document.
(function () {
  "use strict";
  var node = document.getElementById("swagger-ui");
  window.SwaggerUIBundle({ url: node.dataset.url, domNode: node, deepLinking: true });
})();
