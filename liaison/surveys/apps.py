from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SurveysConfig(AppConfig):
    name = "liaison.surveys"
    label = "surveys"
    verbose_name = _("Training needs assessment")

    def ready(self) -> None:
        # Registers the permission policies of the survey models with the one permission layer.
        from django.db.models.signals import post_delete

        from liaison.surveys import access  # noqa: F401
        from liaison.surveys.answer_media import delete_file_of_removed_answer_media
        from liaison.surveys.models import SubmissionMedia

        # An answer's file follows its row, also when a submission's or round's deletion
        # cascades to it.
        post_delete.connect(
            delete_file_of_removed_answer_media,
            sender=SubmissionMedia,
            dispatch_uid="surveys.answer_media_files",
        )
