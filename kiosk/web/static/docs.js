// The API documentation (kiosk/web/server.py): Swagger UI from the local bundle.
window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({ url: "/openapi.json", dom_id: "#swagger-ui" });
});
