"""The site's form renderer: every field of every form through templates/forms/field.html."""

from django.forms.renderers import TemplatesSetting

from .forms import NoOversizeEchoBoundField


class SiteFormRenderer(TemplatesSetting):
    """FORM_RENDERER: the project's own templates, with fields that never write oversized input back."""

    # Its help text and error carry the ids Django names in the widget's aria-describedby.
    field_template_name = "forms/field.html"
    bound_field_class = NoOversizeEchoBoundField
